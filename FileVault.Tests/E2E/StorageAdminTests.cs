using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class StorageAdminTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task Admin_starts_a_full_scan_and_sees_it_complete_with_the_catalog_filled()
    {
        for (var i = 0; i < 25; i++)
        {
            var path = Path.Combine(app.StorageDirectory, $"부서{i % 3}", $"문서_{i:00}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, "내용 " + i);
        }

        var page = await SignedInAdminAsync("ko-KR");
        await page.GotoAsync("/admin/storage");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#storage-title")).ToHaveTextAsync("저장소와 스캔");

        await page.Locator("#roots-admin-table [data-action=full]").First.ClickAsync();

        var completed = page.Locator("#scan-runs [data-status=Completed]");
        await Assertions.Expect(completed.First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        // Re-rendered from the scanner's thread: still Korean, not resource keys.
        await Assertions.Expect(completed.First).ToHaveTextAsync("완료");
        await Assertions.Expect(page.Locator("#storage-title")).ToHaveTextAsync("저장소와 스캔");
        await Assertions.Expect(page.Locator("#roots-admin-table [data-health=Healthy]")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "admin-storage-ko");

        await using var db = app.Database.CreateDbContext();
        Assert.Equal(28, await db.Entries.CountAsync(e => e.State == EntryState.Active && e.RelativePath != ""));
    }

    [Fact]
    public async Task A_lost_mount_raises_a_banner_on_admin_pages_until_it_returns()
    {
        var marker = Path.Combine(app.StorageDirectory, StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        var page = await SignedInAdminAsync("en-US");
        await page.GotoAsync("/admin/storage");
        await BrowserFixture.WaitForInteractiveAsync(page);

        File.Delete(marker);
        try
        {
            await page.ClickAsync("#check-health");
            await Assertions.Expect(page.Locator("#roots-admin-table [data-health=Unhealthy]")).ToBeVisibleAsync();
            await page.GotoAsync("/admin");
            await Assertions.Expect(page.Locator("[data-alert-root]")).ToContainTextAsync("needs attention");
            await BrowserFixture.ScreenshotAsync(page, "admin-alert-en");
        }
        finally
        {
            await File.WriteAllTextAsync(marker, content);
        }

        await page.GotoAsync("/admin/storage");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.ClickAsync("#check-health");
        await Assertions.Expect(page.Locator("#roots-admin-table [data-health=Healthy]")).ToBeVisibleAsync();
        await page.GotoAsync("/admin");
        await Assertions.Expect(page.Locator("[data-alert-root]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Registering_a_bad_path_shows_a_clear_error_and_registers_nothing()
    {
        var page = await SignedInAdminAsync("en-US");
        await page.GotoAsync("/admin/storage");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await page.ClickAsync("#register-root");
        await page.FillAsync("#root-name", "Nowhere");
        await page.FillAsync("#root-path", "relative/path");
        await page.ClickAsync("#register-save");

        await Assertions.Expect(page.Locator("#register-error")).ToHaveTextAsync("The path must be absolute (start with /).");
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.StorageRoots.AnyAsync(r => r.Name == "Nowhere"));
    }

    private async Task<IPage> SignedInAdminAsync(string locale)
    {
        var page = await browser.NewPageAsync(app.BaseAddress, locale);
        await BrowserFixture.SignInAsAdminAsync(page);
        return page;
    }
}
