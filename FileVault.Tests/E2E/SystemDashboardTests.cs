using FileVault.Core.Monitoring;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An admin opens the system dashboard and watches it move; closing it stops the sampling.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SystemDashboardTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task An_admin_sees_the_live_figures_change_and_the_sampling_stops_when_the_page_closes()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/admin/system");
        await BrowserFixture.WaitForInteractiveAsync(page);

        var sampledAt = page.Locator("#system-sampled-at");
        await Assertions.Expect(sampledAt).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var first = await sampledAt.TextContentAsync();
        await Assertions.Expect(sampledAt).Not.ToHaveTextAsync(first!, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#system-cpu")).ToContainTextAsync("%");
        await Assertions.Expect(page.Locator("#system-disks")).ToContainTextAsync(app.StorageDirectory);
        var chart = page.Locator("#system-live-chart");
        await Assertions.Expect(chart).ToBeVisibleAsync();
        // The chart itself moves: its drawn lines change as the next samples arrive.
        var lines = await chart.Locator("svg").First.InnerHTMLAsync();
        await page.WaitForFunctionAsync(
            "before => document.querySelector('#system-live-chart svg')?.innerHTML !== before", lines, new() { Timeout = 30_000 });
        await BrowserFixture.ScreenshotAsync(page, "system-ko");
        var sampler = app.Services.GetRequiredService<SystemSampler>();
        Assert.True(sampler.IsRunning);

        await page.CloseAsync();

        await Poll.UntilAsync(() => Task.FromResult(!sampler.IsRunning), "the sampler to stop once the page's circuit closed");
    }
}
