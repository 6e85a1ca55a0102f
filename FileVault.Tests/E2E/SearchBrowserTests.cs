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
public sealed class SearchBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    // A client-side navigation (Blazor) has no load event to wait for: the URL is polled, as a person would look.
    private static readonly PageAssertionsToHaveURLOptions Navigated = new() { Timeout = 30_000 };

    // Written by a Mac: the name on disk is NFD; the user types NFC.
    private static readonly string FinalNfd = "견적서_최종.xlsx".Normalize(NormalizationForm.FormD);

    private int _rootId;

    public async Task InitializeAsync()
    {
        void Write(string relative)
        {
            var path = Path.Combine(app.StorageDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "내용: " + relative);
        }

        Write(Path.Combine("영업부", "2025", FinalNfd));
        Write("영업부/견적서_메모.txt");
        Write("영업부/비밀/견적서_기밀.xlsx");
        Write("공용/견적서_양식.xlsx");

        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_user_finds_a_file_from_the_app_bar_filters_it_by_type_and_opens_its_folder_with_it_selected()
    {
        var user = await app.CreateUserAsync("search.user@filevault.test", Roles.User);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var grants = scope.ServiceProvider.GetRequiredService<GrantService>();
            var admin = AccessSubject.Create(Guid.NewGuid(), [Roles.SuperAdmin]);
            Assert.True((await grants.CreateAsync(admin, new NewGrant(_rootId, "영업부", user.Id, null, Permission.Read, GrantEffect.Allow), CancellationToken.None)).IsSuccess);
            Assert.True((await grants.CreateAsync(admin, new NewGrant(_rootId, "영업부/비밀", user.Id, null, Permission.Read, GrantEffect.Deny), CancellationToken.None)).IsSuccess);
        }

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, "search.user@filevault.test", FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await BrowserFixture.WaitForInteractiveAsync(page);

        await page.FillAsync("#quick-search", "견적서");
        await page.Locator("#quick-search").PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/search\?q=" + Regex.Escape(Uri.EscapeDataString("견적서")) + "$"), Navigated);

        // The two readable matches, the NFD name as it is on disk; not the one under the deny, not the one in an ungranted folder.
        var hits = page.Locator("#search-results [data-entry-id]");
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync("결과 2개");
        await Assertions.Expect(hits).ToHaveCountAsync(2);
        await Assertions.Expect(hits.Filter(new() { HasText = FinalNfd })).ToHaveCountAsync(1);
        await Assertions.Expect(hits.Filter(new() { HasText = "견적서_메모.txt" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#search-results")).Not.ToContainTextAsync("기밀");
        await Assertions.Expect(page.Locator("#search-results")).Not.ToContainTextAsync("양식");
        await Assertions.Expect(hits.Filter(new() { HasText = FinalNfd }).Locator("mark")).ToHaveTextAsync("견적서".Normalize(NormalizationForm.FormD));

        await page.ClickAsync("#type-spreadsheets");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"type=spreadsheets"), Navigated);
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync("결과 1개");
        await Assertions.Expect(hits).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#type-spreadsheets")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator("#type-all")).ToHaveAttributeAsync("aria-pressed", "false");
        // For the picture only: the chips' colour transition settles first.
        await page.Mouse.MoveAsync(0, 0);
        await page.WaitForTimeoutAsync(500);
        await BrowserFixture.ScreenshotAsync(page, "search-ko");

        await hits.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}/{Regex.Escape(Uri.EscapeDataString("영업부"))}/2025\\?select=\\d+$"), Navigated);
        await Assertions.Expect(page.Locator("#details-name")).ToHaveTextAsync(FinalNfd);
        await Assertions.Expect(page.Locator("#entry-rows .fv-selected")).ToContainTextAsync(FinalNfd);

        // Back returns to the filtered search.
        await page.GoBackAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"type=spreadsheets"), Navigated);
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync("결과 1개");
    }

    [Fact]
    public async Task Search_in_this_folder_starts_from_the_folder_toolbar_and_a_bad_link_is_explained()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString("공용")}");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await page.ClickAsync("#search-in-folder");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/search\?folder=\d+$"), Navigated);
        await Assertions.Expect(page.Locator("#search-scope")).ToContainTextAsync("공용");
        await Assertions.Expect(page.Locator("#search-start")).ToBeVisibleAsync();
        await page.FillAsync("#search-field", "견적서");
        await page.Locator("#search-field").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync("1 result");
        await Assertions.Expect(page.Locator("#search-results")).ToContainTextAsync("견적서_양식.xlsx");

        await page.GotoAsync("/search?q=x&minSize=lots");
        await Assertions.Expect(page.Locator("#search-error")).ToContainTextAsync("Sizes are numbers");
    }

    [Fact]
    public async Task The_next_page_follows_the_cursor_and_any_other_page_jumps_by_offset()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/search?q=" + Uri.EscapeDataString("견적서") + "&sort=name&pageSize=1");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var hits = page.Locator("#search-results [data-entry-id]");
        const string ByCursor = @"pageSize=1&after=[A-Za-z0-9_-]+$";
        // Clicks page NUMBER, then expects the URL it leads to and the one hit shown there.
        async Task GoToAsync(int number, string url, string shown)
        {
            await page.Locator("#search-pages button").Filter(new() { HasTextRegex = new Regex($"^{number}$") }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(url), Navigated);
            await Assertions.Expect(hits).ToContainTextAsync(shown);
        }

        // By name: 기밀, 메모, 양식, 최종, one a page.
        await Assertions.Expect(hits).ToContainTextAsync("견적서_기밀.xlsx");
        await GoToAsync(2, ByCursor, "견적서_메모.txt");
        await GoToAsync(4, @"offset=3&pageSize=1$", FinalNfd);
        await GoToAsync(3, @"offset=2&pageSize=1$", "견적서_양식.xlsx");
        // From a page reached by offset, the next one is by cursor again.
        await GoToAsync(4, ByCursor, FinalNfd);
        await Assertions.Expect(page.Locator("#search-pages button[aria-current='page']")).ToHaveTextAsync("4");
    }

    [Fact]
    public async Task The_app_bar_shows_matches_while_typing_and_hangul_typed_on_the_english_layout_is_offered()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await BrowserFixture.WaitForInteractiveAsync(page);

        // 초성 while typing: ㄱㅈㅅ is 견적서; the first matches show under the box without leaving the page.
        await page.Locator("#quick-search").PressSequentiallyAsync("ㄱㅈㅅ ㅇㅅ");
        var shown = page.Locator("#quick-search-results .fv-quick-search-hit");
        await Assertions.Expect(shown).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Assertions.Expect(shown).ToContainTextAsync("견적서_양식.xlsx");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"));
        await BrowserFixture.ScreenshotAsync(page, "quick-search-ko");
        await shown.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/files/{_rootId}/{Regex.Escape(Uri.EscapeDataString("공용"))}\\?select=\\d+$"), Navigated);
        await Assertions.Expect(page.Locator("#details-name")).ToHaveTextAsync("견적서_양식.xlsx", new() { Timeout = 30_000 });

        // 견적서 typed with the English layout on: nothing by those letters, and the Hangul offered.
        await page.GotoAsync("/search?q=ruswjrtj");
        await Assertions.Expect(page.Locator("#search-suggestion")).ToContainTextAsync("견적서");
        await page.Locator("#search-suggestion .fv-suggestion").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/search\?q=" + Regex.Escape(Uri.EscapeDataString("견적서"))), Navigated);
        await Assertions.Expect(page.Locator("#search-results [data-entry-id]")).ToHaveCountAsync(4);
    }
}
