using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Devices;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.Devices;

[Collection(BrowserCollection.Name)]
public sealed partial class DeskFlowTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    // A client-side navigation (Blazor) has no load event to wait for: the URL is polled, as a person would look.
    private static readonly PageAssertionsToHaveURLOptions Navigated = new() { Timeout = 30_000 };

    [Fact]
    public async Task Desk_checks_a_device_out_and_in_by_scanning_its_tag()
    {
        const string Tag = "FV-SCAN-0042";
        var admin = new DeskActor(Guid.NewGuid(), "admin", RunsDesk: true, ManagesDevices: true);
        var registered = await app.Services.GetRequiredService<DeskService>()
            .RegisterAsync(admin, new DeviceInput(Tag, "Apple", "iPhone 15", "iOS", "17.4", "IMEI 3569", null, null), default);
        Assert.True(registered.IsSuccess);
        await app.CreateUserAsync("desk@filevault.test", Roles.DeskStaff);

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, "desk@filevault.test", FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(NotSignIn(), Navigated);
        await page.GotoAsync("/devices");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#tile-available")).ToHaveAttributeAsync("data-count", "1");
        await Assertions.Expect(page.Locator("#scan-field")).ToBeFocusedAsync();

        // A barcode scanner: fast keystrokes, then Enter.
        await page.Keyboard.TypeAsync(Tag.ToLowerInvariant(), new() { Delay = 5 });
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#checkout-device")).ToContainTextAsync(Tag);
        await page.FillAsync("#borrower-name", "김민수");
        await page.FillAsync("#borrower-department", "영업부");
        await page.FillAsync("#rental-purpose", "고객 시연");
        await page.ClickAsync("#checkout-submit");

        await Assertions.Expect(page.Locator("#tile-rented")).ToHaveAttributeAsync("data-count", "1");
        await Assertions.Expect(page.Locator("#devices-table td[data-tag]").First).ToHaveTextAsync(Tag);
        await Assertions.Expect(page.Locator("#scan-field")).ToBeFocusedAsync();
        await BrowserFixture.ScreenshotAsync(page, "desk-rented-ko");

        await page.Keyboard.TypeAsync(Tag, new() { Delay = 5 });
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#checkin-rental")).ToContainTextAsync("김민수");
        await page.Locator("#checkin-condition").FocusAsync();
        await page.Keyboard.TypeAsync("이상 없음");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator("#tile-available")).ToHaveAttributeAsync("data-count", "1");
        await Assertions.Expect(page.Locator("#tile-rented")).ToHaveAttributeAsync("data-count", "0");

        await using var db = app.Database.CreateDbContext();
        var rental = await db.Rentals.SingleAsync(r => r.DeviceId == registered.Value);
        Assert.Equal("김민수", rental.BorrowerName);
        Assert.Equal("영업부", rental.BorrowerDepartment);
        Assert.Equal("이상 없음", rental.ReturnCondition);
        Assert.NotNull(rental.ReturnedAt);
        Assert.Equal("desk@filevault.test", rental.CheckedOutBy);
    }

    [Fact]
    public async Task Scanning_an_unknown_tag_says_so_and_opens_nothing()
    {
        await app.CreateUserAsync("desk2@filevault.test", Roles.DeskStaff);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsync(page, "desk2@filevault.test", FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(NotSignIn(), Navigated);
        await page.GotoAsync("/devices");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await page.Locator("#scan-field").FocusAsync();
        await page.Keyboard.TypeAsync("NO-SUCH-TAG", new() { Delay = 5 });
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("No device has that asset tag.");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
    }

    private static Regex NotSignIn() => NotSignInPattern();

    [GeneratedRegex("^(?!.*/account/login).*$")]
    private static partial Regex NotSignInPattern();
}
