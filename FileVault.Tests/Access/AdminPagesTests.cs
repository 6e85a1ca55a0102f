using System.Net;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Access;

/// <summary>The administration pages as the server renders them: for admins, and refused to everyone else.</summary>
public sealed class AdminPagesTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Theory]
    [InlineData("/admin/users", "id=\"users-title\"", FileVaultAppFactory.AdminEmail)]
    [InlineData("/admin/groups", "id=\"groups-title\"", "id=\"groups-table\"")]
    [InlineData("/admin/access", "id=\"access-title\"", "id=\"access-root\"")]
    [InlineData("/admin", "id=\"admin-link-users\"", "id=\"admin-link-duplicates\"")]
    [InlineData("/admin/duplicates", "id=\"duplicates-title\"", "id=\"find-duplicates\"")]
    [InlineData("/admin/system", "id=\"system-title\"", "id=\"system-range\"")]
    [InlineData("/admin/services", "id=\"services-title\"", "data-service=\"postgres\"")]
    public async Task Admin_pages_render_for_a_super_admin(string path, string marker, string content)
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient("ko-KR");
        await FileVaultAppFactory.PostSignInAsync(client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(marker, html, StringComparison.Ordinal);
        Assert.Contains(content, html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/users")]
    [InlineData("/admin/groups")]
    [InlineData("/admin/access")]
    [InlineData("/admin/duplicates")]
    [InlineData("/admin/system")]
    [InlineData("/admin/services")]
    [InlineData("/admin/statistics")]
    [InlineData("/admin/storage")]
    [InlineData("/admin/audit")]
    public async Task Admin_pages_refuse_a_plain_user(string path)
    {
        await app.CreateUserAsync("not.an.admin." + path.Replace('/', '-') + "@filevault.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, "not.an.admin." + path.Replace('/', '-') + "@filevault.test", FileVaultAppFactory.UserPassword);

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/access-denied", response.Headers.Location!.AbsolutePath);
    }
}
