using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class FileBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    // A client-side navigation (Blazor) has no load event to wait for: the URL is polled, as a person would look.
    private static readonly PageAssertionsToHaveURLOptions Navigated = new() { Timeout = 30_000 };

    private int _rootId;

    public async Task InitializeAsync()
    {
        void Write(string relative)
        {
            var path = Path.Combine(app.StorageDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "내용: " + relative);
        }

        Write("영업부/견적서_2025.xlsx");
        Write("영업부/2024/회의록.txt");
        Write("영업부/비밀/급여.xlsx");
        Write(Path.Combine("디자인".Normalize(NormalizationForm.FormD), "로고.png"));
        Write("작업장/읽어보세요.txt");
        for (var i = 0; i < 120; i++)
        {
            Write($"공용/문서_{i:000}.txt");
        }

        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Admin_browses_folders_with_breadcrumbs_keyboard_details_and_deep_links()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "ko-KR");
        await page.Locator("#roots-table a").First.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}$"), Navigated);
        await BrowserFixture.WaitForInteractiveAsync(page);

        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.First).ToContainTextAsync("공용");
        await rows.Filter(new() { HasText = "영업부" }).DblClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}/{Uri.EscapeDataString("영업부")}$"), Navigated);
        await Assertions.Expect(page.Locator("#folder-breadcrumbs")).ToContainTextAsync("영업부");

        // Folders first, then files; selecting a file shows its details.
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("2024");
        await rows.Filter(new() { HasText = "견적서_2025.xlsx" }).ClickAsync();
        await Assertions.Expect(page.Locator("#details-name")).ToHaveTextAsync("견적서_2025.xlsx");
        await Assertions.Expect(page.Locator("#details-type")).ToHaveTextAsync("스프레드시트 · XLSX");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"\?select=\d+$"), Navigated);
        await BrowserFixture.ScreenshotAsync(page, "file-browser-ko");

        // The URL is a link to this view: opened fresh, it shows the same selection.
        var link = page.Url;
        var fresh = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(fresh, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        await Assertions.Expect(fresh).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await fresh.GotoAsync(link);
        await Assertions.Expect(fresh.Locator("#details-name")).ToHaveTextAsync("견적서_2025.xlsx");

        // Backspace goes up.
        await page.Locator("#entry-list").PressAsync("Backspace");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}$"), Navigated);

        // A link typed in NFC opens the folder a Mac wrote in NFD.
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("디자인")}");
        // A page load, like the navigations above: the full suite on two cores has taken over the default 5 s.
        await Assertions.Expect(page.Locator("#entry-rows [data-entry-id]").First).ToContainTextAsync("로고.png", new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task An_open_folder_shows_what_someone_else_changes_in_it_without_a_reload()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "en-US");
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("작업장")}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.Filter(new() { HasText = "읽어보세요.txt" })).ToBeVisibleAsync();
        await Assertions.Expect(rows.Filter(new() { HasText = "동료가 만든 폴더" })).ToHaveCountAsync(0);
        await page.Locator("#folder-tree [data-tree-path='작업장']").WaitForAsync();

        // Another user's window (here: Core, as the service every page calls) makes a folder in it.
        long folderId;
        await using (var db = app.Database.CreateDbContext())
        {
            folderId = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == "작업장").Select(e => e.Id).SingleAsync();
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var other = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
            var made = await scope.ServiceProvider.GetRequiredService<FileVault.Core.Operations.EntryOperations>()
                .CreateFolderAsync(other, folderId, "동료가 만든 폴더", null, CancellationToken.None);
            Assert.True(made.IsSuccess, made.Error?.ToString());
        }

        // Within a few polls the list and the tree's branch show it; the page was never reloaded.
        var marker = await page.EvaluateAsync<double>("() => window.__fvMarker = Math.random()");
        await Assertions.Expect(rows.Filter(new() { HasText = "동료가 만든 폴더" })).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("#folder-tree [data-tree-path='작업장/동료가 만든 폴더']")).ToBeVisibleAsync(new() { Timeout = 10_000 });
        Assert.Equal(marker, await page.EvaluateAsync<double>("() => window.__fvMarker"));
    }

    [Fact]
    public async Task A_crowded_folder_scrolls_through_all_rows()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "en-US");
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("공용")}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#entry-status")).ToContainTextAsync("120 items");

        await page.Locator("#entry-rows").EvaluateAsync("el => el.scrollTop = el.scrollHeight");

        await Assertions.Expect(page.Locator("#entry-rows [data-entry-id]").Filter(new() { HasText = "문서_119.txt" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_user_sees_only_the_folder_granted_to_them_and_nothing_under_a_deny()
    {
        var user = await app.CreateUserAsync("sales.user@filevault.test", Roles.User);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var grants = scope.ServiceProvider.GetRequiredService<GrantService>();
            var admin = AccessSubject.Create(Guid.NewGuid(), [Roles.SuperAdmin]);
            Assert.True((await grants.CreateAsync(admin, new NewGrant(_rootId, "영업부", user.Id, null, Permission.Read, GrantEffect.Allow), CancellationToken.None)).IsSuccess);
            Assert.True((await grants.CreateAsync(admin, new NewGrant(_rootId, "영업부/비밀", user.Id, null, Permission.Read, GrantEffect.Deny), CancellationToken.None)).IsSuccess);
        }

        var page = await SignedInAsync("sales.user@filevault.test", FileVaultAppFactory.UserPassword, "ko-KR");

        var cards = page.Locator("#roots-table a");
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        await Assertions.Expect(cards).ToContainTextAsync("영업부");
        await cards.ClickAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        // Read-only here: no button to create a folder.
        await Assertions.Expect(page.Locator("#new-folder")).ToHaveCountAsync(0);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.Filter(new() { HasText = "2024" })).ToBeVisibleAsync();
        await Assertions.Expect(rows.Filter(new() { HasText = "비밀" })).ToHaveCountAsync(0);

        // The root and the denied folder do not exist for this user.
        await page.GotoAsync($"/files/{_rootId}");
        await Assertions.Expect(page.Locator("#folder-error")).ToBeVisibleAsync();
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("영업부")}/{Uri.EscapeDataString("비밀")}");
        await Assertions.Expect(page.Locator("#folder-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#entry-rows")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_double_click_opens_the_folder_every_time_though_its_first_click_renders_the_rows_again()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "ko-KR");
        var rows = page.Locator("#entry-rows [data-entry-id]");
        string[] folders = ["공용", "영업부", "작업장"];
        for (var round = 0; round < 8; round++)
        {
            var folder = folders[round % folders.Length];
            await page.GotoAsync($"/files/{_rootId}");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(rows.Filter(new() { HasText = folder })).ToBeVisibleAsync();
            // Another row selected first: the double-click's own first click changes the selection, and the rows render again
            // between its two clicks. Every row's events go to the list's one handler, which that render does not replace.
            await rows.Filter(new() { HasText = folders[(round + 1) % folders.Length] }).ClickAsync();
            await rows.Filter(new() { HasText = folder }).DblClickAsync();

            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}/{Uri.EscapeDataString(folder)}$"), Navigated);
            await Assertions.Expect(page.Locator("#folder-breadcrumbs")).ToContainTextAsync(folder);
        }
    }

    [Fact]
    public async Task Admin_creates_a_folder_renames_it_with_F2_and_sees_a_refused_name_explained()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "ko-KR");
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("작업장")}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows.First).ToContainTextAsync("읽어보세요.txt");

        await page.ClickAsync("#new-folder");
        await page.FillAsync("#name-field", "CON");
        await page.ClickAsync("#name-save");
        await Assertions.Expect(page.Locator("#name-error")).ToContainTextAsync("사용할 수 없는 이름");
        await page.FillAsync("#name-field", "새 프로젝트");
        await page.ClickAsync("#name-save");
        await Assertions.Expect(rows.First).ToContainTextAsync("새 프로젝트");
        Assert.True(Directory.Exists(Path.Combine(app.StorageDirectory, "작업장", "새 프로젝트")));

        await rows.First.ClickAsync();
        await page.Locator("#entry-list").PressAsync("F2");
        await page.FillAsync("#name-field", "2025 프로젝트");
        await page.Locator("#name-field").PressAsync("Enter");
        await Assertions.Expect(rows.First).ToContainTextAsync("2025 프로젝트");
        Assert.True(Directory.Exists(Path.Combine(app.StorageDirectory, "작업장", "2025 프로젝트")));
        Assert.False(Directory.Exists(Path.Combine(app.StorageDirectory, "작업장", "새 프로젝트")));
    }

    [Fact]
    public async Task Download_gives_the_selected_file_and_a_zip_of_two_selected_items()
    {
        var page = await SignedInAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, "ko-KR");
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("영업부")}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await rows.Filter(new() { HasText = "견적서_2025.xlsx" }).ClickAsync();
        await Assertions.Expect(page.Locator("#details-name")).ToHaveTextAsync("견적서_2025.xlsx");

        var file = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-selection"));

        Assert.Equal("견적서_2025.xlsx", file.SuggestedFilename);
        Assert.Equal("내용: 영업부/견적서_2025.xlsx", await File.ReadAllTextAsync(await file.PathAsync()));

        await rows.Filter(new() { HasText = "2024" }).ClickAsync(new() { Modifiers = [KeyboardModifier.Control] });
        await Assertions.Expect(page.Locator("#entry-status")).ToContainTextAsync("2개 선택됨");
        var zip = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-selection"));

        Assert.Matches(@"^FileVault-\d{8}-\d{6}\.zip$", zip.SuggestedFilename);
        using var archive = ZipFile.OpenRead(await zip.PathAsync());
        Assert.Equal(["2024/", "2024/회의록.txt", "견적서_2025.xlsx"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        using var minutes = new StreamReader(archive.GetEntry("2024/회의록.txt")!.Open());
        Assert.Equal("내용: 영업부/2024/회의록.txt", await minutes.ReadToEndAsync());
        // The page stayed where it was, its circuit alive.
        await Assertions.Expect(page.Locator("#entry-status")).ToContainTextAsync("2개 선택됨");
    }

    private async Task<IPage> SignedInAsync(string email, string password, string locale)
    {
        var page = await browser.NewPageAsync(app.BaseAddress, locale);
        await BrowserFixture.SignInAsync(page, email, password);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        // Links clicked while blazor.web.js is still starting can be lost; a person is slower than that.
        await BrowserFixture.WaitForInteractiveAsync(page);
        return page;
    }
}
