using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FileVault.Core.Operations;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Downloads;

/// <summary>
/// GET /api/v1/entries/{id}/content and the ZIP downloads over a real disk and socket (R-DL-1..5, R-LINK-1/2, R-AUTH-8):
/// headers, ranges and validators, names no header may break, links never followed, archives named by R-DL-3 and broken,
/// never completed, when a file changes under them.
/// </summary>
public sealed class DownloadApiTests(DownloadFixture app) : IClassFixture<DownloadFixture>
{
    public static TheoryData<string> HardNames() => new(DownloadFixture.HardNames);

    [Fact]
    public async Task A_file_comes_whole_as_an_attachment_with_strong_validators_and_no_sniffing()
    {
        using var client = app.Admin();

        var response = await client.GetAsync(await ContentUrlAsync("Files/data.bin"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DownloadFixture.Data, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("data.bin", response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("sandbox", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.False(response.Headers.ETag?.IsWeak ?? true, "a strong ETag");
        Assert.Equal(File.GetLastWriteTimeUtc(app.PathOf("Files/data.bin")).ToString("R"), response.Content.Headers.LastModified?.UtcDateTime.ToString("R"));
    }

    [Fact]
    public async Task Head_gives_the_size_and_validators_without_the_bytes()
    {
        using var client = app.Admin();
        var url = await ContentUrlAsync("Files/data.bin");
        var get = await client.GetAsync(url);

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(DownloadFixture.Data.Length, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Ranges_answer_206_with_the_bytes_asked_and_416_past_the_end()
    {
        using var client = app.Admin();
        var url = await ContentUrlAsync("Files/data.bin");
        var length = DownloadFixture.Data.Length;

        var head = await GetAsync(client, url, new RangeHeaderValue(0, 9));
        var tail = await GetAsync(client, url, new RangeHeaderValue(null, 5));
        var past = await GetAsync(client, url, new RangeHeaderValue(length, null));

        Assert.Equal(HttpStatusCode.PartialContent, head.StatusCode);
        Assert.Equal(DownloadFixture.Data[..10], await head.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 0-9/{length}", head.Content.Headers.ContentRange?.ToString());
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(DownloadFixture.Data[^5..], await tail.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal($"bytes */{length}", past.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task A_rewritten_file_gets_a_new_etag_and_a_range_under_the_old_one_gets_the_whole_new_file()
    {
        using var client = app.Admin();
        var path = app.PathOf("Files/changing.txt");
        var url = await ContentUrlAsync("Files/changing.txt");
        var before = await client.GetAsync(url);
        var oldTag = before.Headers.ETag!;

        // Same length, same inode: only the content and the modification time tell the versions apart.
        await File.WriteAllTextAsync(path, "version 2");
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(7));
        var after = await client.GetAsync(url);
        var stale = await GetAsync(client, url, new RangeHeaderValue(0, 3), new RangeConditionHeaderValue(oldTag));
        var current = await GetAsync(client, url, new RangeHeaderValue(0, 3), new RangeConditionHeaderValue(after.Headers.ETag!));

        Assert.Equal("version 1", await before.Content.ReadAsStringAsync());
        Assert.NotEqual(oldTag, after.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("version 2", await stale.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.PartialContent, current.StatusCode);
        Assert.Equal("vers", await current.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Curl_resumes_a_broken_download_and_gets_the_original_hash()
    {
        var url = new Uri(app.BaseAddress, await ContentUrlAsync("Files/data.bin"));
        var output = Path.Combine(Path.GetTempPath(), $"filevault-curl-{Guid.NewGuid():N}.bin");
        const int Broken = 123_457;
        await File.WriteAllBytesAsync(output, DownloadFixture.Data[..Broken]);
        try
        {
            using var curl = Process.Start(new ProcessStartInfo("curl",
                ["-sS", "--fail", "-C", "-", "-o", output, "-w", "%{http_code} %{size_download}", "-H", "Authorization: Bearer " + app.AdminToken, url.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var written = await curl.StandardOutput.ReadToEndAsync();
            await curl.WaitForExitAsync();

            Assert.True(curl.ExitCode == 0, $"curl exited with {curl.ExitCode}: {await curl.StandardError.ReadToEndAsync()}");
            Assert.Equal($"206 {DownloadFixture.Data.Length - Broken}", written);
            Assert.Equal(SHA256.HashData(DownloadFixture.Data), SHA256.HashData(await File.ReadAllBytesAsync(output)));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [MemberData(nameof(HardNames))]
    public async Task A_name_with_quotes_semicolons_percent_hash_korean_or_line_breaks_comes_back_whole_in_one_header(string name)
    {
        using var client = app.Admin();

        var response = await client.GetAsync(await ContentUrlAsync("Names/" + name));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var header = Assert.Single(response.Content.Headers.GetValues("Content-Disposition"));
        Assert.True(header.All(c => c is >= ' ' and < '\x7F'), $"printable ASCII only: {header}");
        // The exact name, in NFC: a browser on Windows saves a Mac's NFD name readably.
        var sent = name.Normalize(NormalizationForm.FormC);
        Assert.Equal(sent, Microsoft.Net.Http.Headers.ContentDispositionHeaderValue.Parse(header).FileNameStar.Value);
        Assert.Equal(sent, response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal(Encoding.UTF8.GetBytes(name), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Inline_is_granted_to_raster_images_only()
    {
        using var client = app.Admin();

        var photo = await client.GetAsync(await ContentUrlAsync("Files/photo.png") + "?inline=true");
        var notes = await client.GetAsync(await ContentUrlAsync("Files/notes.txt") + "?inline=true");

        Assert.Equal(("inline", "image/png"), (photo.Content.Headers.ContentDisposition?.DispositionType, photo.Content.Headers.ContentType?.MediaType));
        Assert.Equal("attachment", notes.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("sandbox", Assert.Single(photo.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task A_link_is_not_served_nor_is_a_file_or_folder_swapped_for_a_link_out_of_the_root_after_the_scan()
    {
        using var client = app.Admin();
        var outside = Directory.CreateTempSubdirectory("filevault-canary-").FullName;
        const string Canary = "CANARY-7f3a-outside-the-root";
        await File.WriteAllTextAsync(Path.Combine(outside, "swap.txt"), Canary);
        await File.WriteAllTextAsync(Path.Combine(outside, "inner.txt"), Canary);
        try
        {
            var link = await client.GetAsync(await ContentUrlAsync("Links/link.txt"));
            var swapUrl = await ContentUrlAsync("Links/swap.txt");
            var innerUrl = await ContentUrlAsync("Links/swapdir/inner.txt");
            var zipIds = new[] { await app.IdAsync("Links/swap.txt"), await app.IdAsync("Links/swapdir") };
            File.Delete(app.PathOf("Links/swap.txt"));
            File.CreateSymbolicLink(app.PathOf("Links/swap.txt"), Path.Combine(outside, "swap.txt"));
            Directory.Delete(app.PathOf("Links/swapdir"), recursive: true);
            Directory.CreateSymbolicLink(app.PathOf("Links/swapdir"), outside);

            var swapped = await client.GetAsync(swapUrl);
            var inner = await client.GetAsync(innerUrl);
            var zip = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = zipIds });

            Assert.Equal((HttpStatusCode.BadRequest, "entry.not_a_file"), (link.StatusCode, await CodeAsync(link)));
            Assert.Equal((HttpStatusCode.BadRequest, "entry.not_a_file"), (swapped.StatusCode, await CodeAsync(swapped)));
            Assert.Equal((HttpStatusCode.Forbidden, "path.symlink_outside_root"), (inner.StatusCode, await CodeAsync(inner)));
            Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
            var archive = await zip.Content.ReadAsByteArrayAsync();
            Assert.Empty(new ZipArchive(new MemoryStream(archive)).Entries);
            foreach (var body in new[] { await link.Content.ReadAsByteArrayAsync(), await swapped.Content.ReadAsByteArrayAsync(), await inner.Content.ReadAsByteArrayAsync(), archive })
            {
                Assert.DoesNotContain(Canary, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
                Assert.DoesNotContain("target", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_zip_of_items_from_several_folders_names_them_by_R_DL_3_and_holds_their_exact_bytes()
    {
        using var client = app.Admin();
        var paths = new[] { "Zip/A", "Zip/C/Case.txt", "Zip/B/case.txt", "Zip/B/a", "Zip/A/Case.txt" };
        var ids = new List<long>();
        foreach (var path in paths)
        {
            ids.Add(await app.IdAsync(path));
        }

        var response = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids, name = "묶음" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("묶음.zip", response.Content.Headers.ContentDisposition?.FileNameStar);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var expected = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["A/"] = null,
            ["A/Case.txt"] = "Zip/A/Case.txt",
            ["A/a\uFF3Cb.txt"] = "Zip/A/a\\b.txt",
            // In NFC, so it unpacks readably on Windows.
            ["A/" + DownloadFixture.NfdName.Normalize(NormalizationForm.FormC)] = "Zip/A/" + DownloadFixture.NfdName,
            ["A/empty/"] = null,
            ["Case.txt"] = "Zip/C/Case.txt",
            ["case (1).txt"] = "Zip/B/case.txt",
            ["a (1)/"] = null,
            ["a (1)/x.txt"] = "Zip/B/a/x.txt",
        };
        using var zip = new ZipArchive(new MemoryStream(bytes));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        foreach (var entry in zip.Entries.Where(e => expected[e.FullName] is not null))
        {
            await using var content = await entry.OpenAsync();
            using var read = new MemoryStream();
            await content.CopyToAsync(read);
            Assert.True(File.ReadAllBytes(app.PathOf(expected[entry.FullName]!)).AsSpan().SequenceEqual(read.ToArray()), $"{entry.FullName} differs from its file");
        }

        Assert.All(ZipRecords.Utf8Flags(bytes), flag => Assert.True(flag.Value, $"{flag.Key}: UTF-8 flag (bit 11)"));
        await using var db = app.Database.CreateDbContext();
        Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "entry.download" && a.Target == "묶음.zip"));
    }

    [Fact]
    public async Task The_unzip_tool_finds_a_streamed_zip_whole()
    {
        if (!File.Exists("/usr/bin/unzip"))
        {
            return; // Not installed here; the System.IO.Compression test above still reads every entry.
        }

        using var client = app.Admin();
        var response = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { await app.IdAsync("Zip"), await app.IdAsync("Files/data.bin") } });
        var file = Path.Combine(Path.GetTempPath(), $"filevault-unzip-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());
        try
        {
            using var unzip = Process.Start(new ProcessStartInfo("/usr/bin/unzip", ["-tq", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var said = await unzip.StandardOutput.ReadToEndAsync() + await unzip.StandardError.ReadToEndAsync();
            await unzip.WaitForExitAsync();

            Assert.True(unzip.ExitCode == 0, said);
            Assert.Contains("No errors detected", said, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_file_that_grows_while_it_is_zipped_breaks_the_download_instead_of_completing_it()
    {
        using var client = app.Admin();
        var grow = Path.Combine(RealStorage(), "Zip/Grow/grow.bin");
        var hooked = false;
        CompressFaults.Set(grow, _ =>
        {
            hooked = true;
            File.AppendAllText(grow, "more");
            return Task.CompletedTask;
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/downloads/zip")
        {
            Content = JsonContent.Create(new { ids = new[] { await app.IdAsync("Zip/Grow") } }),
        };
        using var received = new MemoryStream();

        var broken = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(received);
        });

        Assert.True(hooked, "the file was read");
        Assert.True(broken is HttpRequestException or IOException, $"the client sees a broken download, not {broken?.GetType().Name ?? "a complete one"}");
        received.Position = 0;
        Assert.ThrowsAny<InvalidDataException>(() => new ZipArchive(received));
    }

    [Fact]
    public async Task A_zip_of_nothing_or_of_too_many_items_is_refused_with_its_reason()
    {
        using var client = app.Admin();

        var empty = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = Array.Empty<long>() });
        var many = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = Enumerable.Range(1, 1001) });

        Assert.Equal((HttpStatusCode.BadRequest, "download.empty"), (empty.StatusCode, await CodeAsync(empty)));
        Assert.Equal((HttpStatusCode.BadRequest, "download.too_many"), (many.StatusCode, await CodeAsync(many)));
    }

    [Fact]
    public async Task A_signed_in_browser_needs_the_csrf_header_for_the_api_zip_and_the_antiforgery_token_for_the_form()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = app.BaseAddress };
        Assert.Equal(HttpStatusCode.Redirect, (await FileVaultAppFactory.PostSignInAsync(browser, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword)).StatusCode);
        var id = await app.IdAsync("Zip/B");
        var idField = new KeyValuePair<string, string>("ids", id.ToString(CultureInfo.InvariantCulture));

        var withoutHeader = await browser.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { id } });
        var page = await browser.GetStringAsync($"/files/{app.RootId}/Zip");
        var withoutToken = await browser.PostAsync("/download/zip", new FormUrlEncodedContent([idField]));
        var form = await browser.PostAsync("/download/zip", new FormUrlEncodedContent(
            [idField, new("__RequestVerificationToken", FileVaultAppFactory.ReadAntiforgeryToken(page))]));

        Assert.Equal((HttpStatusCode.Forbidden, "auth.csrf"), (withoutHeader.StatusCode, await CodeAsync(withoutHeader)));
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Equal("B.zip", form.Content.Headers.ContentDisposition?.FileNameStar);
        using var zip = new ZipArchive(await form.Content.ReadAsStreamAsync());
        Assert.Contains("B/case.txt", zip.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task A_read_only_personal_token_may_post_for_a_zip_since_it_changes_nothing()
    {
        using var admin = app.Admin();
        var created = await admin.PostAsJsonAsync("/api/v1/me/tokens", new { name = "backup script", scope = "read", expiresInDays = 30 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        using var script = app.Client((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString());

        var zip = await script.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { await app.IdAsync("Zip/C") } });
        var change = await script.PostAsJsonAsync("/api/v1/folders", new { parentId = await app.IdAsync("Zip/C"), name = "new" });

        Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, "token.scope_insufficient"), (change.StatusCode, await CodeAsync(change)));
    }

    [Fact]
    public async Task OpenApi_names_and_summarises_the_downloads()
    {
        using var client = app.Client();

        var operations = await Api.AdminApiTests.OperationsAsync(client);

        foreach (var (path, method, name) in new[] { ("/api/v1/entries/{id}/content", "get", "DownloadEntry"), ("/api/v1/downloads/zip", "post", "DownloadZip") })
        {
            Assert.True(operations.TryGetValue((path, method), out var operation), $"{method} {path} is not in the document");
            Assert.Equal(name, operation.Id);
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{name} has no summary");
        }

        Assert.DoesNotContain(operations.Keys, o => o.Path.Contains("download/zip", StringComparison.Ordinal) && !o.Path.StartsWith("/api/", StringComparison.Ordinal));
    }

    private async Task<string> ContentUrlAsync(string relativePath) => $"/api/v1/entries/{await app.IdAsync(relativePath)}/content";

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, RangeHeaderValue range, RangeConditionHeaderValue? ifRange = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = range;
        request.Headers.IfRange = ifRange;
        return await client.SendAsync(request);
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();

    // The writer reads by real path, and the fault hook is keyed by it.
    private string RealStorage() => UnixRealPath.TryResolve(app.StorageDirectory, out var real, out _) ? real : app.StorageDirectory;
}
