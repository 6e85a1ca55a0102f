using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An admin sees where the disk went after a scan; a User is refused the page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StorageStatisticsBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task After_a_scan_an_admin_sees_bytes_by_type_the_largest_folder_and_a_recompute_follows_a_new_file()
    {
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, "영업부", "2026"));
        await File.WriteAllBytesAsync(Path.Combine(app.StorageDirectory, "영업부", "2026", "견적서.pdf"), new byte[300_000]);
        await File.WriteAllBytesAsync(Path.Combine(app.StorageDirectory, "영업부", "사진.jpg"), new byte[100_000]);
        await app.ScanStorageAsync();

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/admin/statistics");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await Assertions.Expect(page.Locator("#statistics-types [data-type='Document']")).ToContainTextAsync("문서");
        await Assertions.Expect(page.Locator("#statistics-types [data-type='Document']")).ToContainTextAsync("293 KB");
        await Assertions.Expect(page.Locator("#statistics-extensions [data-extension='jpg']")).ToContainTextAsync("98 KB");
        await Assertions.Expect(page.Locator("#statistics-folders tbody tr").First).ToContainTextAsync("영업부");
        var files = await page.Locator("#statistics-files").TextContentAsync();
        await BrowserFixture.ScreenshotAsync(page, "statistics-ko");

        await File.WriteAllBytesAsync(Path.Combine(app.StorageDirectory, "영업부", "계약서.hwp"), new byte[1_000]);
        await app.ScanStorageAsync();
        await page.ClickAsync("#statistics-recompute");

        await Assertions.Expect(page.Locator("#statistics-files")).Not.ToHaveTextAsync(files!);
        await Assertions.Expect(page.Locator("#statistics-extensions [data-extension='hwp']")).ToBeVisibleAsync();
        // Two scans make a growth line, in a unit that fits a root of a few hundred KB (not a flat line at 0 GiB).
        await Assertions.Expect(page.Locator("#statistics-growth-chart")).ToContainTextAsync("크기 (KiB)");
    }

    [Fact]
    public async Task A_user_gets_403_at_the_statistics_page()
    {
        await app.CreateUserAsync("stats.user@filevault.test", Roles.User);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsync(page, "stats.user@filevault.test", FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });

        var response = await page.GotoAsync("/admin/statistics");

        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        await Assertions.Expect(page.Locator("#access-denied-title")).ToBeVisibleAsync();
    }
}
