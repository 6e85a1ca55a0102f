using System.Text.RegularExpressions;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// The instance that served an open page stops; nginx sends the browser to the other one, where the page loads again and
/// the user keeps working, still signed in (the cookie keys live in PostgreSQL). Its own pair of instances: this class
/// stops one of them.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TwoInstanceFailoverTests(BrowserFixture browser, TwoAppsBehindNginx site) : IClassFixture<TwoAppsBehindNginx>
{
    [Fact]
    public async Task When_the_instance_serving_the_page_stops_the_page_comes_back_from_the_other_and_keeps_working()
    {
        Directory.CreateDirectory(Path.Combine(site.First.StorageDirectory, "Alpha", "Beta"));
        await File.WriteAllTextAsync(Path.Combine(site.First.StorageDirectory, "Alpha", "note.txt"), "hello");
        var rootId = await site.First.ScanStorageAsync();
        var routeKey = await site.RouteKeyForAsync(site.Second);
        var page = await browser.NewPageAsync(site.Nginx.BaseAddress, "en-US");
        await page.Context.AddCookiesAsync([new Cookie
        {
            Name = "fv_route", Value = routeKey, Domain = "127.0.0.1", Path = "/", Secure = true, HttpOnly = true, SameSite = SameSiteAttribute.Lax,
        }]);
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{rootId}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await TwoInstanceTests.AssertServedByAsync(page, site.Second);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.Filter(new() { HasText = "Alpha" })).ToBeVisibleAsync();

        var reloaded = page.WaitForRequestAsync(
            request => request.IsNavigationRequest && request.Url.EndsWith($"/files/{rootId}", StringComparison.Ordinal), new() { Timeout = 90_000 });

        await ((IAsyncLifetime)site.Second).DisposeAsync();

        // nginx finds the second instance gone and sends the same route key to the first. Blazor's reconnect reaches the
        // first, which has no such circuit, and the page loads again from there: interactive, still signed in, and
        // opening a folder works.
        Assert.Equal(TwoAppsBehindNginx.UpstreamOf(site.First), await site.UpstreamForAsync(routeKey));
        await reloaded;
        await BrowserFixture.WaitForInteractiveAsync(page);
        await rows.Filter(new() { HasText = "Alpha" }).DblClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{rootId}/Alpha$"), new() { Timeout = 30_000 });
        await Assertions.Expect(rows.Filter(new() { HasText = "note.txt" })).ToBeVisibleAsync();
        await TwoInstanceTests.AssertServedByAsync(page, site.First);
        await BrowserFixture.ScreenshotAsync(page, "two-instances-after-failover");
    }
}
