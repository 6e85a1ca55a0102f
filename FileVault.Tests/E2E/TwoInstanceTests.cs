using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// Two instances of the app behind the repository's nginx.conf with TLS, sharing PostgreSQL, Redis and the share: what
/// one instance does reaches the pages and requests that nginx sends to the other.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TwoInstanceTests(BrowserFixture browser, TwoAppsBehindNginx site) : IClassFixture<TwoAppsBehindNginx>
{
    [Fact]
    public async Task A_job_started_on_one_instance_shows_its_progress_live_on_a_page_served_by_the_other()
    {
        var ledger = site.First.Services.GetRequiredService<JobLedger>();
        var events = site.First.Services.GetRequiredService<JobEvents>();
        var adminId = await AdminIdAsync();
        var payload = JsonSerializer.Serialize(new { root = 1, parentId = 1, name = "두 인스턴스" });
        var id = (await ledger.EnqueueAsync(adminId, new NewJob("mkdir", "operations", payload), CancellationToken.None)).Value;
        var job = await ledger.StartAsync(id, "first", CancellationToken.None);
        Assert.NotNull(job);
        var page = await SignedInPageAsync(site.Second);
        await page.GotoAsync("/jobs");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await AssertServedByAsync(page, site.Second);
        var row = page.Locator("#jobs-table tbody tr").Filter(new() { Has = page.Locator($"[data-job-id='{id}']") });
        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("Running");

        // The first instance reports; its events cross Redis to the second, which renders them into the open page.
        await ledger.ReportProgressAsync(id, 0.42, "12 / 30 files", CancellationToken.None);
        await events.PublishAsync(new JobEvent(id, adminId, job.Type, JobStatus.Running, 0.42, "12 / 30 files", null));
        await Assertions.Expect(row.Locator(".fv-job-text")).ToHaveTextAsync("42% 12 / 30 files");
        await ledger.FinishAsync(id, JobStatus.Succeeded, null, CancellationToken.None);
        await events.PublishAsync(new JobEvent(id, adminId, job.Type, JobStatus.Succeeded, 1, null, null));

        await Assertions.Expect(row.Locator(".fv-job-status")).ToHaveTextAsync("Done");
        await BrowserFixture.ScreenshotAsync(page, "two-instances-job-progress");
    }

    [Fact]
    public async Task A_download_through_either_instance_is_sent_by_nginx_after_the_instance_s_access_check()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var id = await FileAsync("내려받기 둘.bin", bytes);
        foreach (var app in new[] { site.First, site.Second })
        {
            using var client = site.RoutedClient(await site.RouteKeyForAsync(app));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client));
            using var direct = new HttpClient { BaseAddress = app.BaseAddress };
            direct.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;

            var response = await client.GetAsync($"/api/v1/entries/{id}/content");
            var fromApp = await direct.GetAsync($"/api/v1/entries/{id}/content");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
            // nginx's own ETag (it sent the bytes by X-Accel-Redirect), not the one the app gives when it streams.
            Assert.NotNull(response.Headers.ETag);
            Assert.NotEqual(fromApp.Headers.ETag, response.Headers.ETag);
            Assert.Equal("sandbox", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        }
    }

    [Fact]
    public async Task An_upload_started_through_one_instance_is_resumed_and_finished_through_the_other()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var half = bytes.Length / 2;
        var folderId = await FolderAsync("올림");
        using var first = site.RoutedClient(await site.RouteKeyForAsync(site.First));
        using var second = site.RoutedClient(await site.RouteKeyForAsync(site.Second));
        var token = new AuthenticationHeaderValue("Bearer", await TokenAsync(first));
        first.DefaultRequestHeaders.Authorization = token;
        second.DefaultRequestHeaders.Authorization = token;
        first.DefaultRequestHeaders.Add("Tus-Resumable", "1.0.0");
        second.DefaultRequestHeaders.Add("Tus-Resumable", "1.0.0");

        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/uploads") { Content = new ByteArrayContent([]) };
        create.Headers.Add("Upload-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        create.Headers.Add("Upload-Metadata", $"filename {Base64("이어 올리기.bin")},destination {Base64(folderId.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        var created = await first.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!;
        var firstHalf = await first.SendAsync(Patch(location, bytes[..half], 0));
        Assert.Equal(HttpStatusCode.NoContent, firstHalf.StatusCode);

        using var head = new HttpRequestMessage(HttpMethod.Head, location);
        var resumed = await second.SendAsync(head);
        var offset = long.Parse(resumed.Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var secondHalf = await second.SendAsync(Patch(location, bytes[(int)offset..], offset));

        Assert.Equal(half, offset);
        Assert.Equal(HttpStatusCode.NoContent, secondHalf.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(site.First.StorageDirectory, "올림", "이어 올리기.bin")));
    }

    private static HttpRequestMessage Patch(Uri location, byte[] body, long offset)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return request;
    }

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private async Task<IPage> SignedInPageAsync(KestrelAppFactory app)
    {
        var page = await browser.NewPageAsync(site.Nginx.BaseAddress, "en-US");
        await page.Context.AddCookiesAsync([RouteCookie(await site.RouteKeyForAsync(app))]);
        await BrowserFixture.SignInAsAdminAsync(page);
        return page;
    }

    private static Microsoft.Playwright.Cookie RouteCookie(string key) => new()
    {
        Name = "fv_route", Value = key, Domain = "127.0.0.1", Path = "/", Secure = true, HttpOnly = true, SameSite = SameSiteAttribute.Lax,
    };

    /// <summary>The instance nginx sends this page's requests to (its cookies, route key included), by nginx's header.</summary>
    internal static async Task AssertServedByAsync(IPage page, KestrelAppFactory app)
    {
        var response = await page.Context.APIRequest.GetAsync("/health/live");
        Assert.Equal(TwoAppsBehindNginx.UpstreamOf(app), response.Headers[NginxProxy.UpstreamHeader.ToLowerInvariant()].Split(", ")[^1]);
    }

    private async Task<Guid> AdminIdAsync()
    {
        await using var db = site.First.Database.CreateDbContext();
        return await db.Users.Where(u => u.Email == FileVaultAppFactory.AdminEmail).Select(u => u.Id).SingleAsync();
    }

    private async Task<long> FileAsync(string name, byte[] bytes)
    {
        await File.WriteAllBytesAsync(Path.Combine(site.First.StorageDirectory, name), bytes);
        var rootId = await site.First.ScanStorageAsync();
        await using var db = site.First.Database.CreateDbContext();
        return await db.Entries.Where(e => e.RootId == rootId && e.RelativePath == name && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    private async Task<long> FolderAsync(string name)
    {
        Directory.CreateDirectory(Path.Combine(site.First.StorageDirectory, name));
        var rootId = await site.First.ScanStorageAsync();
        await using var db = site.First.Database.CreateDbContext();
        return await db.Entries.Where(e => e.RootId == rootId && e.RelativePath == name && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    private static async Task<string> TokenAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = FileVaultAppFactory.AdminEmail, password = FileVaultAppFactory.AdminPassword });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }
}
