using FileVault.Core.Search.Meilisearch;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Search.Meilisearch;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>The app configured with a Meilisearch that is not there (a loopback port nothing listens on).</summary>
public sealed class MeilisearchDownAppFactory : KestrelAppFactory
{
    public MeilisearchDownAppFactory() => Settings[MeilisearchOptions.Section + ":Url"] = $"http://127.0.0.1:{FakeMeilisearch.FreePort()}";
}

[Collection(BrowserCollection.Name)]
public sealed class MeilisearchFallbackBrowserTests(BrowserFixture browser, MeilisearchDownAppFactory app)
    : IClassFixture<MeilisearchDownAppFactory>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        foreach (var relative in new[] { "영업부/견적서_메모.txt", "공용/견적서_양식.xlsx" })
        {
            var path = Path.Combine(app.StorageDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, relative);
        }

        await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task With_meilisearch_unreachable_the_search_page_answers_from_the_database_and_says_so()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/search?q=" + Uri.EscapeDataString("견적서"));
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync("결과 2개");
        await Assertions.Expect(page.Locator("#search-answered-by-database")).ToContainTextAsync("데이터베이스가 답했습니다");
    }
}
