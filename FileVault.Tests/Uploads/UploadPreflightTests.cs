using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Scanning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// POST /api/v1/uploads/preflight: what the browser asks before it sends a byte of a drop, per relative path — free,
/// taken (replaceable or not), unavailable, invalid — under the access rules of every other write: a user denied a
/// folder learns nothing of what it holds. And the replace it offers: the old file to the trash, asked of WriteAccess.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UploadPreflightTests(UploadFixture app) : IClassFixture<UploadFixture>
{
    [Fact]
    public async Task Preflight_says_which_names_are_free_taken_or_invalid_and_folders_merge()
    {
        await EnsureHiddenFileAsync();
        using var client = app.Admin();

        var answers = await PreflightAsync(client, await app.IdAsync("Sales"),
            "new.txt", "taken.txt", "TAKEN.txt", "Secret", "Secret/new.txt", "Secret/hidden.txt", "fresh/a/b.txt", "a/../b.txt");

        Assert.Equal(("free", false, false), answers["new.txt"]);
        Assert.Equal(("taken", true, false), answers["taken.txt"]);
        Assert.Equal(("taken", true, false), answers["TAKEN.txt"]);
        // A file never replaces a folder; files go into it.
        Assert.Equal(("taken", false, true), answers["Secret"]);
        Assert.Equal(("free", false, false), answers["Secret/new.txt"]);
        Assert.Equal(("taken", true, false), answers["Secret/hidden.txt"]);
        Assert.Equal(("free", false, false), answers["fresh/a/b.txt"]);
        Assert.Equal("invalid", answers["a/../b.txt"].State);
    }

    [Fact]
    public async Task A_user_denied_a_folder_learns_nothing_of_it_through_the_preflight()
    {
        await EnsureHiddenFileAsync();
        using var denied = app.Client(await app.UserTokenAsync("deny-under-allow"));
        var sales = await app.IdAsync("Sales");

        // Inside the denied folder, a name it holds and one it does not get the same answer.
        var answers = await PreflightAsync(denied, sales, "Secret/hidden.txt", "Secret/nothing.txt", "Secret/deeper/x.txt", "Secret", "taken.txt");
        // Asked as the destination itself, the denied folder is a folder that does not exist.
        var intoSecret = await PostAsync(denied, await app.IdAsync("Sales/Secret"), "hidden.txt");
        var intoNothing = await PostAsync(denied, long.MaxValue, "hidden.txt");

        Assert.Equal(("unavailable", false, false), answers["Secret/hidden.txt"]);
        Assert.Equal(("unavailable", false, false), answers["Secret/nothing.txt"]);
        Assert.Equal(("unavailable", false, false), answers["Secret/deeper/x.txt"]);
        // That the name is held is all it says: not that a folder holds it.
        Assert.Equal(("unavailable", false, false), answers["Secret"]);
        Assert.Equal(("taken", false, false), answers["taken.txt"]);
        Assert.Equal(HttpStatusCode.NotFound, intoSecret.StatusCode);
        Assert.Equal(intoNothing.StatusCode, intoSecret.StatusCode);
        Assert.Equal(await CodeAsync(intoNothing), await CodeAsync(intoSecret));
    }

    [Fact]
    public async Task A_user_who_may_only_read_the_destination_is_refused()
    {
        using var reader = app.Client(await app.UserTokenAsync("read"));

        var response = await PostAsync(reader, await app.IdAsync("Sales"), "new.txt");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("auth.forbidden", await CodeAsync(response));
    }

    [Fact]
    public async Task Replace_puts_the_new_file_in_place_and_the_old_one_in_the_trash()
    {
        using var client = app.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await UploadAsync(client, "Public", "report.txt", "first"u8.ToArray())).StatusCode);

        var refused = await CreateAsync(client, "Public", "report.txt", 6);
        var replaced = await UploadAsync(client, "Public", "report.txt", "second"u8.ToArray(), ("onConflict", "replace"));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        Assert.Equal("second", await File.ReadAllTextAsync(app.PathOf("Public/report.txt")));
        await using var db = app.Database.CreateDbContext();
        var trashed = await db.TrashItems.Where(t => t.OriginalPath == "Public/report.txt").ToListAsync();
        Assert.Equal(FileVault.Core.Trash.TrashItemState.InTrash, Assert.Single(trashed).State);
        Assert.Equal(1, await db.Entries.CountAsync(e => e.RelativePath == "Public/report.txt" && e.State == FileVault.Core.Catalog.EntryState.Active));
    }

    [Fact]
    public async Task Replace_needs_delete_on_the_file_and_says_only_unavailable_of_what_the_user_may_not_read()
    {
        await EnsureHiddenFileAsync();
        using var denied = app.Client(await app.UserTokenAsync("deny-under-allow"));

        // Read and Write on Sales, no Delete: taken.txt may not be replaced; Secret (denied) is only an unavailable name.
        var withoutDelete = await CreateAsync(denied, "Sales", "taken.txt", 1, ("onConflict", "replace"));
        var unreadable = await CreateAsync(denied, "Sales", "Secret", 1, ("onConflict", "replace"));
        var badChoice = await CreateAsync(denied, "Sales", "fine.txt", 1, ("onConflict", "overwrite"));

        Assert.Equal(HttpStatusCode.Conflict, withoutDelete.StatusCode);
        Assert.Contains("cannot be replaced", await withoutDelete.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, unreadable.StatusCode);
        var said = await unreadable.Content.ReadAsStringAsync();
        Assert.Contains("unavailable", said, StringComparison.Ordinal);
        Assert.DoesNotContain("folder here", said, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badChoice.StatusCode);
        Assert.True(File.Exists(app.PathOf("Sales/Secret/hidden.txt")));
        Assert.Equal("already here", await File.ReadAllTextAsync(app.PathOf("Sales/taken.txt")));
    }

    private async Task<HttpResponseMessage> CreateAsync(HttpClient client, string folder, string name, long length, params (string Key, string Value)[] more)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", UploadFixture.Metadata(
            [("destination", (await app.IdAsync(folder)).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("filename", name), .. more]));
        return await client.SendAsync(request);
    }

    /// <summary>A whole upload in one PATCH with its SHA-256; the PATCH's answer.</summary>
    private async Task<HttpResponseMessage> UploadAsync(HttpClient client, string folder, string name, byte[] bytes, params (string Key, string Value)[] more)
    {
        var created = await CreateAsync(client, folder, name, bytes.Length, more);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var patch = new HttpRequestMessage(HttpMethod.Patch, created.Headers.Location);
        patch.Headers.Add("Tus-Resumable", "1.0.0");
        patch.Headers.Add("Upload-Offset", "0");
        patch.Headers.Add("FileVault-Sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        patch.Content = new ByteArrayContent(bytes);
        patch.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        return await client.SendAsync(patch);
    }

    private async Task EnsureHiddenFileAsync()
    {
        if (File.Exists(app.PathOf("Sales/Secret/hidden.txt")))
        {
            return;
        }

        await File.WriteAllTextAsync(app.PathOf("Sales/Secret/hidden.txt"), "not for everyone");
        var run = await app.Services.GetRequiredService<Scanner>().RunAsync(app.RootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, long destination, params string[] paths) =>
        client.PostAsJsonAsync("/api/v1/uploads/preflight", new { destination, paths });

    private static async Task<Dictionary<string, (string State, bool Replaceable, bool IsFolder)>> PreflightAsync(HttpClient client, long destination, params string[] paths)
    {
        var response = await PostAsync(client, destination, paths);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var items = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(paths, items.Select(i => i.GetProperty("path").GetString()));
        return items.ToDictionary(i => i.GetProperty("path").GetString()!,
            i => (i.GetProperty("state").GetString()!, i.GetProperty("replaceable").GetBoolean(), i.GetProperty("isFolder").GetBoolean()));
    }

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();
}
