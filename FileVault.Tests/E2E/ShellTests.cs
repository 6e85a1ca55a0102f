using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class ShellTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Fact]
    public async Task Super_admin_signs_in_and_sees_the_shell_in_korean()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");

        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/login"), new() { Timeout = 30_000 });
        Assert.Equal("FileVault 로그인", await page.TextContentAsync("h1"));
        await BrowserFixture.SignInAsync(page, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        var nav = page.Locator("#main-nav");
        foreach (var label in new[] { "파일", "검색", "휴지통", "작업", "장비 대여", "관리" })
        {
            await Assertions.Expect(nav.GetByText(label, new() { Exact = true })).ToBeVisibleAsync();
        }

        Assert.Equal("ko", await page.GetAttributeAsync("html", "lang"));
        await Assertions.Expect(page.Locator("#roots-table")).ToContainTextAsync(Path.GetFileName(app.StorageDirectory));
        await BrowserFixture.ScreenshotAsync(page, "shell-ko-superadmin");

        // The shell is interactive: the admin page opens from the drawer without a reload.
        await nav.GetByText("관리", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#admin-title")).ToHaveTextAsync("관리");
        await BrowserFixture.ScreenshotAsync(page, "admin-ko");
    }

    [Fact]
    public async Task User_sees_no_admin_entry_and_is_refused_at_admin()
    {
        await app.CreateUserAsync("e2e.user@filevault.test", Roles.User);
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");

        await BrowserFixture.SignInAsync(page, "e2e.user@filevault.test", FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        var nav = page.Locator("#main-nav");
        await Assertions.Expect(nav.GetByText("Files", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByText("Admin", new() { Exact = true })).ToHaveCountAsync(0);

        var response = await page.GotoAsync("/admin");

        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        Assert.Contains("/account/access-denied", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#access-denied-title")).ToHaveTextAsync("Access denied");
        await BrowserFixture.ScreenshotAsync(page, "access-denied-en");
    }

    [Fact]
    public async Task Language_switch_and_dark_mode_toggle_work_and_persist()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "en-US");
        await BrowserFixture.SignInAsAdminAsync(page);
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Files");

        await page.Locator("#language-menu button").ClickAsync();
        await page.GetByText("한국어").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("파일");
        await BrowserFixture.WaitForInteractiveAsync(page);

        var lightBackground = await BodyBackgroundAsync(page);
        await page.ClickAsync("#theme-toggle");
        await page.WaitForFunctionAsync("bg => getComputedStyle(document.body).backgroundColor !== bg", lightBackground);
        Assert.Equal("true", await page.EvaluateAsync<string?>("localStorage.getItem('filevault.darkMode')"));

        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("파일");
        Assert.NotEqual(lightBackground, await BodyBackgroundAsync(page));
        await BrowserFixture.ScreenshotAsync(page, "shell-ko-dark");
    }

    private static Task<string> BodyBackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
}
