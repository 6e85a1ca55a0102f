using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>A person selects several files, previews a batch rename and sees the new names in the list and on disk.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BatchRenameTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    private const string Folder = "현장사진";
    private int _rootId;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, Folder));
        foreach (var name in new[] { "IMG_0003.jpg", "IMG_0001.jpg", "IMG_0002.jpg", "메모.txt" })
        {
            File.WriteAllText(Path.Combine(app.StorageDirectory, Folder, name), "사진 " + name);
        }

        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Three_files_selected_with_ctrl_click_get_a_prefix_and_numbers_after_a_preview()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(4);

        foreach (var name in new[] { "IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg" })
        {
            await rows.Filter(new() { HasText = name }).ClickAsync(new() { Modifiers = [KeyboardModifier.Control] });
        }

        await Assertions.Expect(page.Locator("#entry-status")).ToContainTextAsync("3개 선택됨");

        // F2 with several entries selected opens the batch dialog, not the single rename.
        await page.Locator("#entry-list").PressAsync("F2");
        await Assertions.Expect(page.Locator("#batch-preview .fv-rename-old")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#name-field")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "취소" }).ClickAsync();
        await Assertions.Expect(page.Locator("#batch-preview")).ToHaveCountAsync(0);

        await page.ClickAsync("#batch-rename");
        await page.FillAsync("#batch-prefix", "현장_");
        await page.Locator("#batch-numbering").CheckAsync();
        await page.FillAsync("#batch-width", "2");

        var preview = page.Locator("#batch-preview .fv-rename-new");
        await Assertions.Expect(preview).ToHaveTextAsync(["현장_IMG_0001_01.jpg", "현장_IMG_0002_02.jpg", "현장_IMG_0003_03.jpg"]);
        await BrowserFixture.ScreenshotAsync(page, "batch-rename-ko");
        await page.ClickAsync("#batch-rename-confirm");

        await Assertions.Expect(page.Locator("#batch-preview")).ToHaveCountAsync(0);
        await Assertions.Expect(rows.Filter(new() { HasText = "현장_IMG_0003_03.jpg" })).ToBeVisibleAsync();
        await Assertions.Expect(rows.Filter(new() { HasText = "현장_IMG_0001_01.jpg" })).ToBeVisibleAsync();
        await Assertions.Expect(rows.Filter(new() { HasText = "메모.txt" })).ToBeVisibleAsync();
        var onDisk = Directory.GetFiles(Path.Combine(app.StorageDirectory, Folder)).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["메모.txt", "현장_IMG_0001_01.jpg", "현장_IMG_0002_02.jpg", "현장_IMG_0003_03.jpg"], onDisk);
        Assert.Equal("사진 IMG_0002.jpg", File.ReadAllText(Path.Combine(app.StorageDirectory, Folder, "현장_IMG_0002_02.jpg")));
    }
}
