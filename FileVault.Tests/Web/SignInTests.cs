using System.Net;
using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Web;

public sealed class SignInTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Fact]
    public async Task Anonymous_request_for_a_page_redirects_to_sign_in_with_return_url()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync("/files");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("ReturnUrl=%2Ffiles", response.Headers.Location.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seeded_super_admin_signs_in_and_opens_admin()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var signIn = await FileVaultAppFactory.PostSignInAsync(client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/", LocalPath(signIn.Headers.Location));

        var admin = await client.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("id=\"admin-title\"", await admin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_is_forbidden_from_admin_and_lands_on_access_denied()
    {
        await app.CreateUserAsync("plain.user@filevault.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect,
            (await FileVaultAppFactory.PostSignInAsync(client, "plain.user@filevault.test", FileVaultAppFactory.UserPassword)).StatusCode);

        var admin = await client.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
        Assert.Equal("/account/access-denied", admin.Headers.Location!.AbsolutePath);

        var denied = await client.GetAsync(admin.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("id=\"access-denied-title\"", await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The same user may open what the User role allows.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/files")).StatusCode);
    }

    [Fact]
    public async Task Desk_staff_without_user_role_cannot_browse_files()
    {
        await app.CreateUserAsync("desk.only@filevault.test", Roles.DeskStaff);
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, "desk.only@filevault.test", FileVaultAppFactory.UserPassword);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/devices")).StatusCode);
        var files = await client.GetAsync("/files");
        Assert.Equal("/account/access-denied", files.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_email_get_the_same_answer()
    {
        await app.CreateUserAsync("known@filevault.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();

        var wrongPassword = await FileVaultAppFactory.PostSignInAsync(client, "known@filevault.test", "not-the-password-1");
        var unknownUser = await FileVaultAppFactory.PostSignInAsync(client, "nobody@filevault.test", "not-the-password-1");

        Assert.Equal(HttpStatusCode.OK, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknownUser.StatusCode);
        Assert.Equal(ErrorText(await wrongPassword.Content.ReadAsStringAsync()), ErrorText(await unknownUser.Content.ReadAsStringAsync()));
        Assert.NotEmpty(ErrorText(await unknownUser.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Five_failed_attempts_lock_the_account_even_with_the_right_password_and_another_case()
    {
        await app.CreateUserAsync("lockme@filevault.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();
        for (var i = 0; i < 5; i++)
        {
            await FileVaultAppFactory.PostSignInAsync(client, "lockme@filevault.test", "wrong-password-" + i);
        }

        var correctButLocked = await FileVaultAppFactory.PostSignInAsync(client, "LockMe@FileVault.test", FileVaultAppFactory.UserPassword);

        Assert.Equal(HttpStatusCode.OK, correctButLocked.StatusCode);
        Assert.Contains("id=\"sign-in-error\"", await correctButLocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/files")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_address_answers_404_with_the_not_found_page()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient("ko-KR");

        var response = await client.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"not-found-title\"", html, StringComparison.Ordinal);
        Assert.Contains("페이지를 찾을 수 없습니다", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_refuses_an_absolute_return_url()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();
        var form = await client.GetStringAsync("/account/login?returnUrl=https%3A%2F%2Fevil.example%2F");
        Assert.Contains("sign-in-form", form, StringComparison.Ordinal);

        var response = await FileVaultAppFactory.PostSignInAsync(
            client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword, returnUrl: "https://evil.example/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", LocalPath(response.Headers.Location));
    }

    [Fact]
    public async Task Sign_out_needs_the_antiforgery_token_and_then_ends_the_session()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var forged = await client.PostAsync("/account/logout", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin")).StatusCode);

        // Any form page rendered for the signed-in user carries a token bound to that user.
        var token = FileVaultAppFactory.ReadAntiforgeryToken(await client.GetStringAsync("/account/login"));
        var signOut = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
        }));

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/admin")).StatusCode);
    }

    /// <summary>The path of a redirect that must stay on this site (relative, or absolute to the test host).</summary>
    private static string LocalPath(Uri? location)
    {
        Assert.NotNull(location);
        if (!location.IsAbsoluteUri)
        {
            return location.OriginalString;
        }

        Assert.Equal("localhost", location.Host);
        return location.PathAndQuery;
    }

    private static string ErrorText(string html)
    {
        var match = Regex.Match(html, "id=\"sign-in-error\".*?class=\"mud-alert-message\">(.*?)</div>", RegexOptions.Singleline);
        return match.Success ? match.Groups[1].Value.Trim() : "";
    }
}
