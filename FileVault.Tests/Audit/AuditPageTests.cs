using System.Net;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Audit;

/// <summary>The audit page as the server renders it: for admins, linked from the admin page, refused to everyone else.</summary>
public sealed class AuditPageTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Fact]
    public async Task An_admin_sees_the_audit_log_with_their_own_sign_in_and_the_link_from_the_admin_page()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient("ko-KR");
        await FileVaultAppFactory.PostSignInAsync(client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var response = await client.GetAsync("/admin/audit");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"audit-title\"", html, StringComparison.Ordinal);
        Assert.Contains("감사 로그", html, StringComparison.Ordinal);
        Assert.Contains("auth.sign_in", html, StringComparison.Ordinal);
        Assert.Contains(FileVaultAppFactory.AdminEmail, html, StringComparison.Ordinal);
        Assert.Contains("id=\"admin-link-audit\"", await client.GetStringAsync("/admin"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_user_gets_the_access_denied_page()
    {
        await app.CreateUserAsync("not.an.auditor@filevault.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, "not.an.auditor@filevault.test", FileVaultAppFactory.UserPassword);

        var response = await client.GetAsync("/admin/audit");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/access-denied", response.Headers.Location!.AbsolutePath);
    }
}
