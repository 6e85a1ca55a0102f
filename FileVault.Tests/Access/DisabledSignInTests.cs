using System.Net;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

/// <summary>Account changes made through <see cref="UserAdministration"/>, seen through the app's real sign-in form.</summary>
public sealed class DisabledSignInTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Fact]
    public async Task A_disabled_user_cannot_sign_in_and_an_enabled_one_can_again()
    {
        var user = await app.CreateUserAsync("soon.disabled@filevault.test", Roles.User);
        var admin = await ActorAsync(FileVaultAppFactory.AdminEmail, Roles.SuperAdmin);
        using var before = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await FileVaultAppFactory.PostSignInAsync(before, user.Email!, FileVaultAppFactory.UserPassword)).StatusCode);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var disabled = await scope.ServiceProvider.GetRequiredService<UserAdministration>().DisableAsync(admin, user.Id, CancellationToken.None);
            Assert.True(disabled.IsSuccess, disabled.Error?.ToString());
        }

        using var during = app.CreateBrowserLikeClient();
        var refused = await FileVaultAppFactory.PostSignInAsync(during, user.Email!, FileVaultAppFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("id=\"sign-in-error\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserAdministration>().EnableAsync(admin, user.Id, CancellationToken.None);
        }

        using var after = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await FileVaultAppFactory.PostSignInAsync(after, user.Email!, FileVaultAppFactory.UserPassword)).StatusCode);
    }

    [Fact]
    public async Task A_reset_password_replaces_the_old_one_at_sign_in()
    {
        var user = await app.CreateUserAsync("reset.me@filevault.test", Roles.User);
        var admin = await ActorAsync(FileVaultAppFactory.AdminEmail, Roles.SuperAdmin);
        string password;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            password = (await scope.ServiceProvider.GetRequiredService<UserAdministration>().ResetPasswordAsync(admin, user.Id, CancellationToken.None)).Value;
        }

        using var client = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.OK, (await FileVaultAppFactory.PostSignInAsync(client, user.Email!, FileVaultAppFactory.UserPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await FileVaultAppFactory.PostSignInAsync(client, user.Email!, password)).StatusCode);
    }

    private async Task<AccessSubject> ActorAsync(string email, params string[] roles)
    {
        await app.WaitUntilReadyAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<FileVaultUser>>();
        return AccessSubject.FromUser((await users.FindByEmailAsync(email))!, roles);
    }
}
