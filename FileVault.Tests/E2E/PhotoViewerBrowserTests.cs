using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Media;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// A folder of camera photos in Chromium's grid view: real thumbnails fetched from the thumbnail endpoint, the viewer
/// opened on one, ← and → stepping through the images only (a text file between them is skipped), the EXIF beside
/// the photo, the original on zoom, Esc closing; and the photos' small thumbnails in the search results and the trash.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PhotoViewerBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    private readonly string Folder = "여행 " + Guid.NewGuid().ToString("N")[..6];
    private int _rootId;

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(app.StorageDirectory, Folder);
        Directory.CreateDirectory(folder);
        // Sorted by name: a.jpg, b.txt, c.jpg, d.jpg.
        File.WriteAllBytes(Path.Combine(folder, "a 바다.jpg"), Photo("Canon", "Canon EOS R5", "RF24-105mm F4 L IS USM", "2026:11:20 14:30:15"));
        File.WriteAllText(Path.Combine(folder, "b 메모.txt"), "메모");
        File.WriteAllBytes(Path.Combine(folder, "c 산.jpg"), Photo("NIKON CORPORATION", "NIKON Z 6_2", "NIKKOR Z 24-70mm f/4 S", "2026:10:01 08:15:00"));
        File.WriteAllBytes(Path.Combine(folder, "d 강.jpg"), Photo("SONY", "ILCE-7M4", "FE 35mm F1.8", "2026:09:09 19:45:30"));
        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Grid_shows_real_thumbnails_and_the_viewer_steps_through_the_photos_with_the_arrow_keys_and_closes_on_escape()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        var thumbnailRequests = new ConcurrentBag<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/thumbnail?", StringComparison.Ordinal))
            {
                thumbnailRequests.Add(request.Url);
            }
        };
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#entry-rows [data-entry-id]")).ToHaveCountAsync(4);
        await page.ClickAsync("#view-toggle");

        var tiles = page.Locator("#entry-rows .fv-tile");
        await Assertions.Expect(tiles).ToHaveCountAsync(4);
        foreach (var name in new[] { "a 바다.jpg", "c 산.jpg", "d 강.jpg" })
        {
            // A decoded picture, not a broken image: its natural size is the thumbnail's (150 px on the longest side).
            await Assertions.Expect(Tile(tiles, name).Locator("img.fv-thumb")).ToHaveJSPropertyAsync("naturalWidth", 150, new() { Timeout = 30_000 });
        }

        Assert.True(thumbnailRequests.Count(u => u.Contains("size=small", StringComparison.Ordinal)) >= 3, string.Join("\n", thumbnailRequests));
        await Assertions.Expect(Tile(tiles, "b 메모.txt").Locator("img")).ToHaveCountAsync(0);

        await Tile(tiles, "a 바다.jpg").DblClickAsync();
        var viewer = page.Locator("#photo-viewer");
        var image = page.Locator("#viewer-image");
        await Assertions.Expect(viewer).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#viewer-name")).ToHaveTextAsync("a 바다.jpg");
        // The Large thumbnail at once: 800 px wide is more than the 600 px photo, which is never enlarged.
        await Assertions.Expect(image).ToHaveAttributeAsync("src", new Regex("size=large"));
        await Assertions.Expect(image).ToHaveJSPropertyAsync("naturalWidth", 600, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#viewer-camera")).ToHaveTextAsync("Canon EOS R5");
        await Assertions.Expect(page.Locator("#viewer-lens")).ToHaveTextAsync("RF24-105mm F4 L IS USM");
        await Assertions.Expect(page.Locator("#viewer-aperture")).ToHaveTextAsync("f/2.8");
        await Assertions.Expect(page.Locator("#viewer-iso")).ToHaveTextAsync("200");
        await Assertions.Expect(page.Locator("#viewer-focal")).ToHaveTextAsync("50 mm");
        await Assertions.Expect(page.Locator("#viewer-location")).ToContainTextAsync("37.56");
        await Assertions.Expect(page.Locator("#viewer-download")).ToHaveAttributeAsync("href", new Regex("/api/v1/entries/\\d+/content$"));

        // → skips the text file; → again; → at the last photo stays.
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#viewer-name")).ToHaveTextAsync("c 산.jpg");
        await Assertions.Expect(page.Locator("#viewer-camera")).ToHaveTextAsync("NIKON CORPORATION NIKON Z 6_2");
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#viewer-name")).ToHaveTextAsync("d 강.jpg");
        await Assertions.Expect(page.Locator("#viewer-lens")).ToHaveTextAsync("FE 35mm F1.8");
        await Assertions.Expect(image).ToHaveJSPropertyAsync("naturalWidth", 600, new() { Timeout = 30_000 });
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#viewer-name")).ToHaveTextAsync("d 강.jpg");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Assertions.Expect(page.Locator("#viewer-name")).ToHaveTextAsync("c 산.jpg");

        // Zoomed: the original file, inline.
        await page.ClickAsync("#viewer-zoom");
        await Assertions.Expect(image).ToHaveAttributeAsync("src", new Regex("/content\\?inline=true$"));
        await Assertions.Expect(image).ToHaveJSPropertyAsync("naturalWidth", 600, new() { Timeout = 30_000 });
        await BrowserFixture.ScreenshotAsync(page, "photo-viewer-ko");

        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(viewer).ToHaveCountAsync(0);
        await Assertions.Expect(tiles).ToHaveCountAsync(4);
    }

    [Fact]
    public async Task Search_results_show_a_photo_as_its_small_thumbnail_and_other_files_as_their_icon()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);

        long folderId;
        await using (var db = app.Database.CreateDbContext())
        {
            folderId = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == Folder).Select(e => e.Id).SingleAsync();
        }

        // This test's folder only: every test of the class writes its own.
        await page.GotoAsync($"/search?q={Uri.EscapeDataString("바다")}&folder={folderId}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var hits = page.Locator("#search-results [data-entry-id]");
        await Assertions.Expect(hits).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        var photo = hits.Locator("img.fv-thumb");
        await Assertions.Expect(photo).ToHaveAttributeAsync("src", new Regex("/thumbnail\\?size=small"));
        await Assertions.Expect(photo).ToHaveJSPropertyAsync("naturalWidth", 150, new() { Timeout = 30_000 });

        await page.GotoAsync($"/search?q={Uri.EscapeDataString("메모")}&folder={folderId}");
        await Assertions.Expect(hits).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(hits.Locator(".mud-icon-root")).ToHaveCountAsync(1);
        await Assertions.Expect(hits.Locator("img")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_deleted_photo_shows_its_small_thumbnail_in_the_trash_list()
    {
        long photo;
        Guid adminId;
        await using (var db = app.Database.CreateDbContext())
        {
            photo = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == Folder + "/d 강.jpg").Select(e => e.Id).SingleAsync();
            adminId = await db.Users.Where(u => u.Email == FileVaultAppFactory.AdminEmail).Select(u => u.Id).SingleAsync();
        }

        // The scan queued the folder's thumbnails: wait until they are made, as they would be long before anyone deletes a photo.
        await Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            return !await db.Jobs.AnyAsync(j => j.Type == "thumbnails" && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running));
        }, "the thumbnail queue");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var admin = AccessSubject.Create(adminId, [Roles.SuperAdmin]);
            var deleted = await scope.ServiceProvider.GetRequiredService<FileOperations>().DeleteAsync(admin, [photo], null, CancellationToken.None);
            Assert.True(deleted.IsSuccess, deleted.Error?.ToString());
        }

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            return await db.TrashItems.AnyAsync(t => t.EntryId == photo && t.State == FileVault.Core.Trash.TrashItemState.InTrash);
        }, "the photo to reach the trash");
        await page.GotoAsync("/trash");
        await BrowserFixture.WaitForInteractiveAsync(page);

        var row = page.Locator("#trash-table tbody tr").Filter(new() { HasText = "d 강.jpg" }).First;
        var thumbnail = row.Locator("img.fv-thumb");
        await Assertions.Expect(thumbnail).ToHaveAttributeAsync("src", new Regex("/api/v1/trash/\\d+/thumbnail\\?size=small$"));
        await Assertions.Expect(thumbnail).ToHaveJSPropertyAsync("naturalWidth", 150, new() { Timeout = 30_000 });
    }

    private static ILocator Tile(ILocator tiles, string name) => tiles.Filter(new() { Has = tiles.Page.Locator($"[title='{name}']") });

    private static byte[] Photo(string make, string model, string lens, string taken) => TestImages.WithExif(TestImages.FourQuadrants(600, 400),
        [ExifTag.Ascii(0x010F, make), ExifTag.Ascii(0x0110, model), ExifTag.Number(0x0112, 1)],
        [
            ExifTag.Rationals(0x829A, (1, 250)),
            ExifTag.Rationals(0x829D, (28, 10)),
            ExifTag.Number(0x8827, 200),
            ExifTag.Ascii(0x9003, taken),
            ExifTag.Rationals(0x920A, (50, 1)),
            ExifTag.Ascii(0xA434, lens),
        ],
        [
            ExifTag.Ascii(0x0001, "N"),
            ExifTag.Rationals(0x0002, (37, 1), (33, 1), (3600, 100)),
            ExifTag.Ascii(0x0003, "E"),
            ExifTag.Rationals(0x0004, (126, 1), (58, 1), (4680, 100)),
        ]);
}
