using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An admin searches for duplicate files from the admin area, watches the search finish, and keeps one copy of a group.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DuplicatesBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task An_admin_finds_a_duplicate_group_and_keeps_one_copy_the_other_going_to_the_trash()
    {
        var content = new byte[20_000];
        new Random(21).NextBytes(content);
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, "영업부"));
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, "백업"));
        await File.WriteAllBytesAsync(Path.Combine(app.StorageDirectory, "영업부", "견적서.xlsx"), content);
        await File.WriteAllBytesAsync(Path.Combine(app.StorageDirectory, "백업", "견적서 사본.xlsx"), content);
        await app.ScanStorageAsync();

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/admin/duplicates");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.ClickAsync("#find-duplicates");

        // The job's end reaches the page by itself.
        var group = page.Locator("[id^=duplicate-group-]");
        await Assertions.Expect(group).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(group).ToContainTextAsync("백업/견적서 사본.xlsx");
        await Assertions.Expect(page.Locator("#duplicates-total")).ToContainTextAsync("1개 그룹");
        await BrowserFixture.ScreenshotAsync(page, "duplicates-ko");

        await group.Locator("tr", new() { HasText = "영업부/견적서.xlsx" }).GetByRole(AriaRole.Button).ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "나머지를 휴지통으로" }).ClickAsync();

        await Assertions.Expect(page.Locator("#duplicates-none")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.True(File.Exists(Path.Combine(app.StorageDirectory, "영업부", "견적서.xlsx")));
        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, "백업", "견적서 사본.xlsx")));
    }
}
