using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>The repository's nginx.conf, run by the real nginx in front of the app.</summary>
[Collection(BrowserCollection.Name)]
public sealed class NginxTests(BrowserFixture browser, AppBehindNginx site) : IClassFixture<AppBehindNginx>
{
    [Fact]
    public async Task Admin_signs_in_through_nginx_and_the_page_turns_interactive_over_a_websocket()
    {
        var page = await browser.NewPageAsync(site.Nginx.BaseAddress, "en-US");
        var sockets = new ConcurrentQueue<IWebSocket>();
        page.WebSocket += (_, socket) => sockets.Enqueue(socket);

        await BrowserFixture.SignInAsAdminAsync(page);
        await BrowserFixture.WaitForInteractiveAsync(page);

        // The circuit must run over the WebSocket upgrade, not a fallback transport that works without it.
        var blazorUrl = $"wss://127.0.0.1:{site.Nginx.BaseAddress.Port}/_blazor";
        Assert.Contains(sockets, socket => socket.Url.StartsWith(blazorUrl, StringComparison.Ordinal) && !socket.IsClosed);
        // Behind TLS every cookie the browser was given (sign-in, antiforgery, route) is Secure: the app believes
        // nginx's X-Forwarded-Proto and so sees its requests as HTTPS (R-AUTH-8).
        var cookies = await page.Context.CookiesAsync();
        Assert.Contains(cookies, cookie => cookie.Name == "FileVault.Auth");
        Assert.All(cookies, cookie => Assert.True(cookie.Secure, $"cookie {cookie.Name} is not Secure"));
        await BrowserFixture.ScreenshotAsync(page, "files-behind-nginx");
    }

    [Fact]
    public async Task Responses_through_nginx_keep_the_app_headers_and_name_no_nginx_version()
    {
        using var client = site.CreateClient();

        var response = await client.GetAsync("/account/login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("nginx", Assert.Single(response.Headers.GetValues("Server")));
    }

    [Fact]
    public async Task Plain_http_is_redirected_to_the_same_address_over_https()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = site.Nginx.HttpAddress };

        var response = await client.GetAsync("/files/Public?select=a%20b");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(new Uri(site.Nginx.BaseAddress, "/files/Public?select=a%20b"), response.Headers.Location);
    }

    [Fact]
    public async Task Https_responses_carry_hsts_and_the_app_s_security_headers_once()
    {
        using var client = site.CreateClient();

        var response = await client.GetAsync("/account/login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("max-age=63072000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        // The app's policy with its script nonce (Blazor adds its own frame-ancestors one beside it), and not nginx's
        // fallback for its own error pages.
        var policies = response.Headers.GetValues("Content-Security-Policy").ToList();
        Assert.Contains(policies, policy => policy.Contains("'nonce-", StringComparison.Ordinal));
        Assert.DoesNotContain(policies, policy => policy.StartsWith("default-src 'none'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_no_instance_answering_nginx_s_own_error_page_still_carries_the_security_headers()
    {
        // An upstream port nobody listens on: nginx answers 502 by itself.
        await using var orphan = await NginxProxy.StartAsync(new Uri($"http://127.0.0.1:{TestEnvironment.FreeLoopbackPort()}/"), site.App.StorageDirectory);
        using var client = new HttpClient(orphan.CreateHandler()) { BaseAddress = orphan.BaseAddress };

        var response = await client.GetAsync("/files");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("max-age=63072000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.StartsWith("default-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_health_answers_200_through_nginx()
    {
        using var client = site.CreateClient();

        var response = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Protected_files_are_not_served_to_a_direct_request()
    {
        await File.WriteAllTextAsync(Path.Combine(site.App.StorageDirectory, "canary.txt"), "canary-content");
        using var client = site.CreateClient();

        var response = await client.GetAsync("/_protected/canary.txt");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("canary-content", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_download_is_handed_to_nginx_which_sends_the_bytes_and_ranges_under_the_app_s_name()
    {
        // '#', '?', '%', a space and Korean: each breaks an X-Accel-Redirect URI that is not percent-encoded.
        const string Name = "견적 #3? 100% 최종.txt";
        var bytes = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var file = Path.Combine(site.App.StorageDirectory, "내려받기", Name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, bytes);
        var id = await ScanAndFindAsync("내려받기/" + Name);
        using var client = site.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(client));
        using var app = new HttpClient { BaseAddress = site.App.BaseAddress };
        app.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;

        var whole = await client.GetAsync($"/api/v1/entries/{id}/content");
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/entries/{id}/content") { Headers = { Range = new RangeHeaderValue(10, 19) } };
        var part = await client.SendAsync(range);
        // What nginx asks the app (its mark included), and what a client on the app's own port gets.
        using var asNginx = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/entries/{id}/content") { Headers = { { "X-FileVault-Accel", "on" } } };
        var handedOver = await app.SendAsync(asNginx);
        var direct = await client.GetAsync(Assert.Single(handedOver.Headers.GetValues("X-Accel-Redirect")));
        var straightToApp = await app.GetAsync($"/api/v1/entries/{id}/content");

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(Name, whole.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("text/plain", whole.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(whole.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("sandbox", Assert.Single(whole.Headers.GetValues("Content-Security-Policy")));
        Assert.False(whole.Headers.Contains("X-Accel-Redirect"));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(bytes[10..20], await part.Content.ReadAsByteArrayAsync());
        // The app itself sent no bytes, only where nginx finds them; asked directly, that place is not served.
        Assert.Empty(await handedOver.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
        // Not through nginx, nobody would follow the redirect: the app sends the bytes itself, never an empty 200.
        Assert.False(straightToApp.Headers.Contains("X-Accel-Redirect"));
        Assert.Equal(bytes, await straightToApp.Content.ReadAsByteArrayAsync());
        // Through nginx the bytes came from nginx (nginx.conf marks its requests): its own ETag, not the app's.
        Assert.NotNull(whole.Headers.ETag);
        Assert.NotEqual(straightToApp.Headers.ETag, whole.Headers.ETag);
    }

    [Fact]
    public async Task A_new_browser_gets_one_route_cookie_and_keeps_it()
    {
        using var client = site.CreateClient();

        var first = await client.GetAsync("/health/live");
        var second = await client.GetAsync("/health/live");

        var route = Assert.Single(RouteCookies(first));
        Assert.Matches("^fv_route=[0-9a-f]{32};", route);
        Assert.Contains("; Secure;", route, StringComparison.Ordinal);
        Assert.Empty(RouteCookies(second));
    }

    private async Task<long> ScanAndFindAsync(string relativePath)
    {
        await using var db = site.App.Database.CreateDbContext();
        var rootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        Assert.Equal(ScanStatus.Completed, (await site.App.Services.GetRequiredService<Scanner>().RunAsync(rootId, ScanKind.Full, "test", CancellationToken.None)).Status);
        return await db.Entries.Where(e => e.RootId == rootId && e.RelativePath == relativePath && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    private static async Task<string> AdminTokenAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = FileVaultAppFactory.AdminEmail, password = FileVaultAppFactory.AdminPassword });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    private static IEnumerable<string> RouteCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Where(cookie => cookie.StartsWith("fv_route=", StringComparison.Ordinal))
            : [];
}
