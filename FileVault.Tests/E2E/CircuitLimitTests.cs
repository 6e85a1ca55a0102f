using System.Text.RegularExpressions;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An app that admits two windows per user, so the third is over the limit.</summary>
public sealed class TwoWindowAppFactory : KestrelAppFactory
{
    public TwoWindowAppFactory() => Settings["FileVault:Security:MaxCircuitsPerUser"] = "2";
}

/// <summary>R-BLAZOR-1: a user's window beyond the circuit cap gets a clear page; their other windows keep working.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CircuitLimitTests(BrowserFixture browser, TwoWindowAppFactory app) : IClassFixture<TwoWindowAppFactory>
{
    [Fact]
    public async Task The_window_over_the_limit_says_so_and_is_admitted_once_another_closes()
    {
        var first = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsync(first, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        await Assertions.Expect(first).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await BrowserFixture.WaitForInteractiveAsync(first);
        var second = await OpenAsync(first.Context, "/jobs");
        await BrowserFixture.WaitForInteractiveAsync(second);

        var third = await OpenAsync(first.Context, "/trash");
        await Assertions.Expect(third.Locator("#too-many-windows")).ToContainTextAsync("Too many open windows");
        await Assertions.Expect(third.Locator("#too-many-windows")).ToContainTextAsync("2");
        Assert.Equal(0, await third.Locator("#fv-interactive").CountAsync());
        await BrowserFixture.ScreenshotAsync(third, "circuit-limit");

        // The windows that were admitted keep working.
        await first.Locator("a[href='/jobs']").First.ClickAsync();
        await Assertions.Expect(first).ToHaveURLAsync(new Regex("/jobs$"), new() { Timeout = 30_000 });
        await Assertions.Expect(first.Locator("h1")).ToContainTextAsync("Jobs");

        // Closing a window ends its circuit (the page says goodbye as it unloads), and the refused one gets in on reload.
        await second.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });
        var admitted = false;
        for (var attempt = 0; attempt < 20 && !admitted; attempt++)
        {
            await third.Locator("#too-many-windows-reload").ClickAsync();
            await third.WaitForLoadStateAsync(LoadState.NetworkIdle);
            admitted = await third.Locator("#fv-interactive").CountAsync() > 0
                || await third.Locator("#fv-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 1_000 })
                    .ContinueWith(t => t.IsCompletedSuccessfully);
        }

        Assert.True(admitted, "The refused window was not admitted after another window closed.");
        await Assertions.Expect(third.Locator("#too-many-windows")).ToHaveCountAsync(0);
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, string path)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }
}
