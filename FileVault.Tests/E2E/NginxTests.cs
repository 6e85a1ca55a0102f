using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using FileVault.Tests.Infrastructure;
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

        await BrowserFixture.SignInAsync(page, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        await page.WaitForURLAsync(new Regex("/files$"));
        await BrowserFixture.WaitForInteractiveAsync(page);

        // The circuit must run over the WebSocket upgrade, not a fallback transport that works without it.
        var blazorUrl = $"ws://127.0.0.1:{site.Nginx.BaseAddress.Port}/_blazor";
        Assert.Contains(sockets, socket => socket.Url.StartsWith(blazorUrl, StringComparison.Ordinal) && !socket.IsClosed);
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
    public async Task A_new_browser_gets_one_route_cookie_and_keeps_it()
    {
        using var client = site.CreateClient();

        var first = await client.GetAsync("/health/live");
        var second = await client.GetAsync("/health/live");

        var route = Assert.Single(RouteCookies(first));
        Assert.Matches("^fv_route=[0-9a-f]{32};", route);
        Assert.Empty(RouteCookies(second));
    }

    private static IEnumerable<string> RouteCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Where(cookie => cookie.StartsWith("fv_route=", StringComparison.Ordinal))
            : [];
}
