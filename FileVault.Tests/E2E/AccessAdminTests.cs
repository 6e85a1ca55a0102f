using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class AccessAdminTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    private const string ReaderEmail = "e2e.reader@filevault.test";

    [Fact]
    public async Task Admin_grants_a_user_read_on_one_folder_and_the_explain_view_shows_that_grant()
    {
        var rootId = await CatalogAsync("Sales/2024", "Sales-Confidential", "HR");
        var reader = await app.CreateUserAsync(ReaderEmail, Roles.User);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsAdminAsync(page);

        await page.GotoAsync("/admin");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.ClickAsync("#admin-link-access");
        await Assertions.Expect(page.Locator("#access-title")).ToHaveTextAsync("Folder permissions");

        await PickAsync(page, "#access-folder", "Sales", "Sales");
        await page.ClickAsync("#access-open");
        await Assertions.Expect(page.Locator("#access-folder-title")).ToContainTextAsync(": Sales");
        await Assertions.Expect(page.Locator("#grants-none")).ToBeVisibleAsync();

        await PickAsync(page, "#grant-user", "e2e.reader", ReaderEmail);
        await page.ClickAsync("#grant-add");
        await Assertions.Expect(page.Locator("#grants-table")).ToContainTextAsync(ReaderEmail);

        await PickAsync(page, "#explain-user", "e2e.reader", ReaderEmail);
        await page.ClickAsync("#explain-run");
        var read = page.Locator("#explain-table tr[data-permission='Read']");
        await Assertions.Expect(read).ToContainTextAsync("Allowed");
        await Assertions.Expect(read).ToContainTextAsync($"Allow to {ReaderEmail} on Sales");
        await Assertions.Expect(page.Locator("#explain-table tr[data-permission='Write']")).ToContainTextAsync("Not allowed");
        await BrowserFixture.ScreenshotAsync(page, "admin-access-en");

        // The folder browser page does not exist yet; what it will list is the SQL read filter's answer.
        await using var db = app.Database.CreateDbContext();
        var visible = await db.Entries.Where(e => e.RootId == rootId).WhereReadable(db, AccessSubject.Create(reader.Id, [Roles.User]))
            .Select(e => e.RelativePath).OrderBy(p => p).ToListAsync();
        Assert.Equal(["Sales", "Sales/2024"], visible);
    }

    /// <summary>
    /// Types into a MudAutocomplete and clicks the suggestion with the given text, until the field holds it: the
    /// suggestion list re-renders as results arrive, and a click on an item being replaced is lost.
    /// </summary>
    private static async Task PickAsync(IPage page, string id, string typed, string choice)
    {
        var input = page.Locator($"input{id}, {id} input").First;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await input.ClickAsync();
            await input.FillAsync(typed);
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape(choice) + "(\\s|$)") })
                .First.ClickAsync();
            try
            {
                await Assertions.Expect(input).ToHaveValueAsync(new Regex(Regex.Escape(choice)), new() { Timeout = 3000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 2)
            {
                // Pick again.
            }
        }
    }

    /// <summary>Creates folders in the app's storage root and scans it; returns the root's id.</summary>
    private async Task<int> CatalogAsync(params string[] folders)
    {
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(Path.Combine(app.StorageDirectory, folder));
        }

        int rootId;
        await using (var db = app.Database.CreateDbContext())
        {
            rootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        var run = await app.Services.GetRequiredService<Scanner>().RunAsync(rootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
        return rootId;
    }
}
