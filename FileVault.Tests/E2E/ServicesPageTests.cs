using FileVault.Core.Scanning;
using FileVault.Core.Cleanup;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An admin sees a storage root that lost its mount named in a banner on admin pages, and its error on the services page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ServicesPageTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task A_root_whose_marker_is_gone_shows_in_the_admin_banner_and_on_the_services_page()
    {
        string rootName;
        await using (var db = app.Database.CreateDbContext())
        {
            rootName = (await db.StorageRoots.SingleAsync()).Name;
        }

        var marker = Path.Combine(app.StorageDirectory, StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        File.Delete(marker);
        try
        {
            // One cleanup run to show: the audit sweep, as its daily schedule would run it.
            await app.Services.GetRequiredService<CleanupRuns>().RunAsync(app.Services.GetRequiredService<AuditRetentionSweep>(), default);
            var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
            await BrowserFixture.SignInAsAdminAsync(page);
            await page.GotoAsync("/admin/services");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.ClickAsync("#services-check");

            await Assertions.Expect(page.Locator("#service-health-banner")).ToContainTextAsync(rootName);
            var row = page.Locator("[data-service^='root:']");
            await Assertions.Expect(row).ToContainTextAsync(StorageRootRegistry.MarkerFileName);
            await Assertions.Expect(page.Locator("[data-service='postgres']")).ToContainTextAsync(" ms");
            await Assertions.Expect(page.Locator("[data-schedule='incremental']")).ToContainTextAsync("0 * * * *");
            await Assertions.Expect(page.Locator("#services-search-backlog [data-index='postgres']")).ToContainTextAsync("이름 색인");
            await Assertions.Expect(page.Locator("#services-cleanup [data-sweep='audit']")).ToContainTextAsync("감사 기록");
            await BrowserFixture.ScreenshotAsync(page, "services-ko");
        }
        finally
        {
            await File.WriteAllTextAsync(marker, content);
        }
    }
}
