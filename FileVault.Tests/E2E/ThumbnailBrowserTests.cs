using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Media;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>A folder of photos in Chromium: real thumbnails in the grid and the list, the type icon for a file that is no image, EXIF in the details panel.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ThumbnailBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    private readonly string Folder = "사진 " + Guid.NewGuid().ToString("N")[..6];
    private int _rootId;

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(app.StorageDirectory, Folder);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "풍경.jpg"), TestImages.CameraJpeg());
        File.WriteAllBytes(Path.Combine(folder, "깨진.jpg"), TestImages.Zip());
        File.WriteAllText(Path.Combine(folder, "메모.txt"), "메모");
        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_folder_of_photos_shows_real_thumbnails_in_the_grid_and_the_list_icons_for_the_rest_and_the_camera_in_the_details()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(3);

        // The list: a 150 px thumbnail shown small; the broken photo falls back to its icon once its request fails.
        var photo = Entry(rows, "풍경.jpg").Locator("img.fv-thumb");
        await Assertions.Expect(photo).ToHaveJSPropertyAsync("naturalWidth", 150, new() { Timeout = 30_000 });
        await Entry(rows, "풍경.jpg").ClickAsync();
        await Assertions.Expect(page.Locator("#details-camera")).ToHaveTextAsync("Canon EOS R5");
        await Assertions.Expect(page.Locator("#details-lens")).ToHaveTextAsync("RF24-105mm F4 L IS USM");
        await Assertions.Expect(page.Locator("#details-exposure")).ToHaveTextAsync("1/250 s · f/2.8 · ISO 200 · 50 mm");
        await Assertions.Expect(Entry(rows, "깨진.jpg").Locator("img")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Assertions.Expect(Entry(rows, "깨진.jpg").Locator(".mud-icon-root")).ToHaveCountAsync(1);
        await Assertions.Expect(Entry(rows, "메모.txt").Locator("img")).ToHaveCountAsync(0);

        await page.ClickAsync("#view-toggle");

        var tiles = page.Locator("#entry-rows .fv-tile");
        await Assertions.Expect(tiles).ToHaveCountAsync(3);
        var tile = tiles.Filter(new() { HasText = "풍경.jpg" }).Locator("img.fv-thumb");
        await Assertions.Expect(tile).ToHaveAttributeAsync("loading", "lazy");
        await Assertions.Expect(tile).ToHaveJSPropertyAsync("naturalWidth", 150, new() { Timeout = 30_000 });
        await Assertions.Expect(tiles.Filter(new() { HasText = "메모.txt" }).Locator(".mud-icon-root")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "file-browser-thumbnails-ko");
    }

    private static ILocator Entry(ILocator rows, string name) => rows.Filter(new() { Has = rows.Page.Locator($"[title='{name}']") });
}
