using System.Text.RegularExpressions;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>Move by drag and drop, copy through the folder picker with a name conflict, and delete to the trash, in Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FileOperationsBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    // xunit runs InitializeAsync before every test, on one app per class: each test works in a folder of its own.
    private readonly string Folder = "영업부 " + Guid.NewGuid().ToString("N")[..6];
    private int _rootId;

    public async Task InitializeAsync()
    {
        var folder = Path.Combine(app.StorageDirectory, Folder);
        Directory.CreateDirectory(Path.Combine(folder, "보관함"));
        Directory.CreateDirectory(Path.Combine(folder, "사본"));
        foreach (var name in new[] { "견적서.xlsx", "계약서.pdf", "회의록.txt" })
        {
            File.WriteAllText(Path.Combine(folder, name), "내용 " + name);
        }

        File.WriteAllText(Path.Combine(folder, "사본", "회의록.txt"), "이미 있던 회의록");
        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Two_files_dragged_onto_a_folder_move_there_on_disk_and_in_the_list()
    {
        var (page, rows) = await OpenFolderAsync();
        await Row(rows, "견적서.xlsx").ClickAsync();
        await Row(rows, "계약서.pdf").ClickAsync(new() { Modifiers = [KeyboardModifier.Control] });

        await Row(rows, "계약서.pdf").DragToAsync(Row(rows, "보관함"));

        await Assertions.Expect(Row(rows, "견적서.xlsx")).ToHaveCountAsync(0);
        await Assertions.Expect(Row(rows, "계약서.pdf")).ToHaveCountAsync(0);
        Assert.Equal("내용 견적서.xlsx", File.ReadAllText(Path.Combine(app.StorageDirectory, Folder, "보관함", "견적서.xlsx")));
        Assert.True(File.Exists(Path.Combine(app.StorageDirectory, Folder, "보관함", "계약서.pdf")));
        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, Folder, "견적서.xlsx")));
        await Row(rows, "보관함").DblClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task Copy_through_the_picker_asks_about_a_taken_name_and_keeps_both()
    {
        var (page, rows) = await OpenFolderAsync();
        await Row(rows, "회의록.txt").ClickAsync(new() { Button = MouseButton.Right });
        await page.ClickAsync("#menu-copy");
        await Assertions.Expect(page.Locator("#picker-location")).ToHaveTextAsync(new Regex("/" + Folder + "$"));
        await page.Locator("#folder-picker [data-picker-name='사본']").ClickAsync();
        await Assertions.Expect(page.Locator("#picker-location")).ToContainTextAsync(Folder + "/사본");
        await page.ClickAsync("#picker-choose");

        await Assertions.Expect(page.Locator("#conflict-names")).ToContainTextAsync("회의록.txt");
        await BrowserFixture.ScreenshotAsync(page, "copy-conflict-ko");
        await page.ClickAsync("#conflict-keep-both");

        var copy = Path.Combine(app.StorageDirectory, Folder, "사본", "회의록 (1).txt");
        await WaitForAsync(() => File.Exists(copy));
        Assert.Equal("내용 회의록.txt", File.ReadAllText(copy));
        Assert.Equal("이미 있던 회의록", File.ReadAllText(Path.Combine(app.StorageDirectory, Folder, "사본", "회의록.txt")));
        Assert.True(File.Exists(Path.Combine(app.StorageDirectory, Folder, "회의록.txt")));
    }

    [Fact]
    public async Task Delete_key_asks_then_moves_the_file_to_the_trash()
    {
        var (page, rows) = await OpenFolderAsync();
        await Row(rows, "회의록.txt").ClickAsync();
        await page.Locator("#entry-list").PressAsync("Delete");
        await Assertions.Expect(page.GetByText("\"회의록.txt\" 항목을 휴지통으로 옮깁니다.", new() { Exact = false })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "휴지통으로 이동" }).ClickAsync();

        await Assertions.Expect(Row(rows, "회의록.txt")).ToHaveCountAsync(0);
        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, Folder, "회의록.txt")));
        await using var db = app.Database.CreateDbContext();
        var trashed = await db.TrashItems.SingleAsync(t => t.State == TrashItemState.InTrash && t.OriginalPath.StartsWith(Folder + "/"));
        Assert.Equal(Folder + "/회의록.txt", trashed.OriginalPath);
    }

    [Fact]
    public async Task A_description_edited_in_the_details_panel_is_stored_in_the_catalog()
    {
        var (page, rows) = await OpenFolderAsync();
        await Row(rows, "계약서.pdf").ClickAsync();
        var id = long.Parse(await Row(rows, "계약서.pdf").GetAttributeAsync("data-entry-id") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await page.ClickAsync("#description-edit");
        await page.FillAsync("#description-field", "2026년 본계약 서명본");
        await page.ClickAsync("#description-save");
        await Assertions.Expect(page.Locator("#description-field")).ToHaveCountAsync(0);

        await Assertions.Expect(page.Locator("#details-description")).ToContainTextAsync("2026년 본계약 서명본");
        await using var db = app.Database.CreateDbContext();
        Assert.Equal("2026년 본계약 서명본", await db.Entries.Where(e => e.Id == id).Select(e => e.Description).SingleAsync());
    }

    [Fact]
    public async Task The_folder_tree_opens_down_to_the_current_folder_and_a_click_opens_another()
    {
        var (page, rows) = await OpenFolderAsync();
        var tree = page.Locator("#folder-tree");
        await Assertions.Expect(tree.Locator(".fv-current")).ToHaveAttributeAsync("data-tree-path", Folder);
        await Assertions.Expect(tree.Locator($"[data-tree-path='{Folder}/보관함']")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "file-browser-tree-ko");

        await tree.Locator($"[data-tree-path='{Folder}/사본'] a").ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}/{Regex.Escape(Uri.EscapeDataString(Folder))}/{Regex.Escape(Uri.EscapeDataString("사본"))}$"), new() { Timeout = 30_000 });
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(tree.Locator(".fv-current")).ToHaveAttributeAsync("data-tree-path", Folder + "/사본");
    }

    [Fact]
    public async Task The_grid_view_shows_tiles_that_select_and_open_like_rows()
    {
        var (page, rows) = await OpenFolderAsync();
        await page.ClickAsync("#view-toggle");

        var tiles = page.Locator("#entry-rows .fv-tile");
        await Assertions.Expect(tiles).ToHaveCountAsync(5);
        await tiles.Filter(new() { HasText = "견적서.xlsx" }).ClickAsync();
        await tiles.Filter(new() { HasText = "회의록.txt" }).ClickAsync(new() { Modifiers = [KeyboardModifier.Shift] });
        await Assertions.Expect(page.Locator("#entry-status")).ToContainTextAsync("3개 선택됨");
        await BrowserFixture.ScreenshotAsync(page, "file-browser-grid-ko");

        // The choice is remembered on this device: a reload opens the grid again.
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(tiles).ToHaveCountAsync(5);

        await tiles.Filter(new() { HasText = "보관함" }).DblClickAsync();
        await Assertions.Expect(page.Locator("#folder-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Compress_from_the_context_menu_adds_a_zip_holding_the_selection()
    {
        var (page, rows) = await OpenFolderAsync();
        await Row(rows, "견적서.xlsx").ClickAsync();
        await Row(rows, "계약서.pdf").ClickAsync(new() { Modifiers = [KeyboardModifier.Control] });
        await Row(rows, "계약서.pdf").ClickAsync(new() { Button = MouseButton.Right });
        await page.ClickAsync("#menu-compress");

        await Assertions.Expect(page.Locator("#name-field")).ToHaveValueAsync(Folder + ".zip");
        await page.FillAsync("#name-field", "계약 묶음");
        await page.ClickAsync("#name-save");

        await Assertions.Expect(Row(rows, "계약 묶음.zip")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(app.StorageDirectory, Folder, "계약 묶음.zip"));
        Assert.Equal(["견적서.xlsx", "계약서.pdf"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
    }

    private async Task<(IPage Page, ILocator Rows)> OpenFolderAsync()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(5);
        return (page, rows);
    }

    private static ILocator Row(ILocator rows, string name) => rows.Filter(new() { Has = rows.Page.Locator($".fv-entry-name[title='{name}']") });

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The job did not finish within 15 s.");
            await Task.Delay(100);
        }
    }
}
