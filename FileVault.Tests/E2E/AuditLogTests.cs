using FileVault.Core.Audit;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>An admin pages through the audit log and narrows it by path.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AuditLogTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task An_admin_pages_back_and_forth_and_filters_by_a_path_where_something_went()
    {
        await using (var db = app.Database.CreateDbContext())
        {
            for (var i = 0; i < 130; i++)
            {
                AuditTrail.Add(db, TimeProvider.System, null, "entry.rename", $"공유/사진/IMG_{i:000}.jpg", new { to = $"사진/현장_{i:000}.jpg", job = 1000 + i });
            }

            AuditTrail.Add(db, TimeProvider.System, null, "entry.move", "공유/영업부/견적서.xlsx", new { to = "보관함/견적서.xlsx", job = 77 });
            await db.SaveChangesAsync();
        }

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsAdminAsync(page);
        await page.GotoAsync("/admin/audit");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#audit-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(100);
        await Assertions.Expect(rows.First).ToContainTextAsync("auth.sign_in");
        await Assertions.Expect(page.Locator("#audit-newer")).ToBeDisabledAsync();

        await page.ClickAsync("#audit-older");
        // The oldest seeded row is on the second page (the app's own earlier rows, such as the root's registration, follow it).
        await Assertions.Expect(rows.Filter(new() { HasText = "IMG_000.jpg" })).ToHaveCountAsync(1);
        await Assertions.Expect(rows.Filter(new() { HasText = "IMG_129.jpg" })).ToHaveCountAsync(0);
        await page.ClickAsync("#audit-newer");
        await Assertions.Expect(rows.First).ToContainTextAsync("auth.sign_in");

        await page.FillAsync("#audit-path", "보관함");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync("entry.move");
        await Assertions.Expect(rows).ToContainTextAsync("보관함/견적서.xlsx");
        await Assertions.Expect(rows).ToContainTextAsync("77");
        await BrowserFixture.ScreenshotAsync(page, "audit-log-ko");
    }
}
