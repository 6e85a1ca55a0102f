using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>The files page of a root that has never been scanned: it says so, shows the first scan's count, then fills in.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FirstScanIndexingTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task A_root_never_scanned_says_so_shows_indexing_while_its_first_scan_runs_and_opens_when_it_commits()
    {
        var held = Path.Combine(app.StorageDirectory, "held");
        Directory.CreateDirectory(held);
        await File.WriteAllTextAsync(Path.Combine(held, "inside.txt"), "inside");
        await File.WriteAllTextAsync(Path.Combine(app.StorageDirectory, "first.txt"), "first");
        await using (var db = app.Database.CreateDbContext())
        {
            Assert.False(await db.ScanRuns.AnyAsync(), "The test app must not scan its seeded root on its own.");
        }

        var rootId = await RootIdAsync();
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{rootId}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#folder-error")).ToContainTextAsync("none is running");

        // Hold the walk inside one folder, so the first scan is running while the page is looked at.
        var inside = new TaskCompletionSource();
        using var release = new ManualResetEventSlim();
        NativeDirectoryFaults.Set(held, () =>
        {
            inside.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(60));
            return null;
        });
        try
        {
            var started = await app.Services.GetRequiredService<ScanLauncher>().StartAsync(AccessSubject.System, rootId, ScanKind.Full, CancellationToken.None);
            Assert.True(started.IsSuccess);
            await inside.Task.WaitAsync(TimeSpan.FromSeconds(30));

            await Assertions.Expect(page.Locator("#folder-indexing")).ToContainTextAsync("entries so far", new() { Timeout = 15_000 });
            await Assertions.Expect(page.Locator("#folder-error")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#entry-rows [data-entry-id]")).ToHaveCountAsync(0);
        }
        finally
        {
            release.Set();
            NativeDirectoryFaults.ClearUnder(app.StorageDirectory);
        }

        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.Filter(new() { HasText = "first.txt" })).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(rows.Filter(new() { HasText = "held" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#folder-indexing")).ToHaveCountAsync(0);
    }

    private async Task<int> RootIdAsync()
    {
        await app.WaitUntilReadyAsync();
        await using var db = app.Database.CreateDbContext();
        return await db.StorageRoots.Select(r => r.Id).SingleAsync();
    }
}
