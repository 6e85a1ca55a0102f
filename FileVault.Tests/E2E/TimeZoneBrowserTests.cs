using System.Globalization;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// Two people look at the same file from Seoul and from New York: each sees its time on their own clock (from their
/// browser's zone, not the server's), and a search for "modified from 2026-12-01" means their own midnight.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TimeZoneBrowserTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    private const string Folder = "시간대";
    private const string Name = "자정보고서.txt";

    // 01:30 on 12-01 in Seoul, 11:30 on 11-30 in New York.
    private static readonly DateTimeOffset Modified = new(2026, 11, 30, 16, 30, 0, TimeSpan.Zero);

    private int _rootId;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(app.StorageDirectory, Folder, Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "자정 무렵");
        File.SetLastWriteTimeUtc(path, Modified.UtcDateTime);
        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("Asia/Seoul", "12/1/2026 1:30", "1 result")]
    [InlineData("America/New_York", "11/30/2026 11:30", "0 results")]
    public async Task The_same_file_shows_the_readers_own_time_and_day_filters_use_the_readers_midnight(string zone, string clock, string fromDecember)
    {
        // The page formats in its culture ("en" for an en-US browser; ICU picks the space before AM/PM). The clock is
        // spelled out, so a conversion to the server's zone (UTC on the test machines: 4:30 PM) cannot pass.
        var shown = TimeZoneInfo.ConvertTime(Modified, TimeZoneInfo.FindSystemTimeZoneById(zone)).ToString("g", CultureInfo.GetCultureInfo("en"));
        Assert.StartsWith(clock, shown, StringComparison.Ordinal);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US", zone);
        await BrowserFixture.SignInAsAdminAsync(page);

        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = page.Locator("#entry-rows [data-entry-id]").Filter(new() { HasText = Name });
        await Assertions.Expect(row).ToContainTextAsync(shown);
        await Assertions.Expect(row.Locator("time")).ToHaveAttributeAsync("datetime", "2026-11-30T16:30:00.0000000+00:00");

        await row.ClickAsync();
        var longForm = TimeZoneInfo.ConvertTime(Modified, TimeZoneInfo.FindSystemTimeZoneById(zone)).ToString("F", CultureInfo.GetCultureInfo("en"));
        await Assertions.Expect(page.Locator("#entry-details")).ToContainTextAsync(longForm);

        await page.GotoAsync("/search?q=" + Uri.EscapeDataString("자정보고서"));
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#search-results [data-entry-id]")).ToContainTextAsync(shown);

        // Seoul's December starts at 15:00 UTC on 11-30, before the file changed; New York's starts after it.
        await page.GotoAsync("/search?q=" + Uri.EscapeDataString("자정보고서") + "&modifiedFrom=2026-12-01");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#search-count")).ToHaveTextAsync(fromDecember);
        await BrowserFixture.ScreenshotAsync(page, "timezone-" + zone.Replace('/', '-'));
    }
}
