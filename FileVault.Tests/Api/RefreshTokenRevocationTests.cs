using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Cleanup;
using FileVault.Core.Tokens;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Api;

/// <summary>Sessions checked every 5 s, so a test sees another device's cookie refused without waiting a minute.</summary>
public sealed class QuickRevalidationAppFactory : ApiAppFactory
{
    public QuickRevalidationAppFactory() => Settings["FileVault:Security:RevalidationInterval"] = "00:00:05";
}

/// <summary>
/// R-AUTH-4: signing out ends the user's sessions everywhere (cookies, access and refresh tokens) but not their personal
/// tokens; the schedule purges refresh tokens that can never work again.
/// </summary>
public sealed class RefreshTokenRevocationTests(QuickRevalidationAppFactory app) : IClassFixture<QuickRevalidationAppFactory>
{
    [Fact]
    public async Task Signing_out_ends_every_session_of_the_user_and_keeps_personal_tokens_and_other_users()
    {
        var user = await app.CreateUserAsync("signout@revoke.test", Roles.User);
        await app.CreateUserAsync("bystander@revoke.test", Roles.User);
        var script = await app.TokenAsync("signout@revoke.test", FileVaultAppFactory.UserPassword);
        var bystander = await app.TokenAsync("bystander@revoke.test", FileVaultAppFactory.UserPassword);
        using var client = app.CreateClient();
        // The script's refresh token works until the sign-out.
        var rotated = await RefreshAsync(client, script.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var current = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
        using var accessToken = app.Bearer(script.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await accessToken.GetAsync("/api/v1/roots")).StatusCode);
        using var personal = app.Bearer(await CreatePersonalTokenAsync(accessToken));
        Assert.Equal(HttpStatusCode.OK, (await personal.GetAsync("/api/v1/roots")).StatusCode);

        // The same user in a second browser (another device), signed in before the first one signs out.
        using var otherDevice = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect,
            (await FileVaultAppFactory.PostSignInAsync(otherDevice, "signout@revoke.test", FileVaultAppFactory.UserPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherDevice.GetAsync("/api/v1/roots")).StatusCode);

        using var browser = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect,
            (await FileVaultAppFactory.PostSignInAsync(browser, "signout@revoke.test", FileVaultAppFactory.UserPassword)).StatusCode);
        var antiforgery = FileVaultAppFactory.ReadAntiforgeryToken(await browser.GetStringAsync("/account/login"));
        var signOut = await browser.PostAsync("/account/logout",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        var refused = await RefreshAsync(client, current);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("auth.invalid_grant", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        // The access token is refused at once, not when its 15 minutes are up.
        Assert.Equal(HttpStatusCode.Unauthorized, (await accessToken.GetAsync("/api/v1/roots")).StatusCode);
        // A personal token is a credential for scripts: it outlives a sign-out (it dies on password change or disable).
        Assert.Equal(HttpStatusCode.OK, (await personal.GetAsync("/api/v1/roots")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(client, bystander.GetProperty("refresh_token").GetString()!)).StatusCode);
        await using (var db = app.Database.CreateDbContext())
        {
            Assert.All(await db.RefreshTokens.Where(t => t.UserId == user.Id).ToListAsync(), t => Assert.NotNull(t.RevokedAt));
            Assert.Contains(db.AuditLog, a => a.Action == "session.end_all" && a.Target == $"user:{user.Id}" && a.ActorId == user.Id);
        }

        // The other device's cookie is refused once it is re-checked (FileVault:Security:RevalidationInterval, 5 s here).
        var status = HttpStatusCode.OK;
        for (var waited = TimeSpan.Zero; status == HttpStatusCode.OK && waited < TimeSpan.FromSeconds(15); waited += TimeSpan.FromMilliseconds(500))
        {
            await Task.Delay(500);
            status = (await otherDevice.GetAsync("/api/v1/roots")).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task A_password_change_after_a_sign_out_still_ends_personal_tokens()
    {
        var user = await app.CreateUserAsync("later@revoke.test", Roles.User);
        using var accessToken = await app.BearerForAsync("later@revoke.test");
        using var personal = app.Bearer(await CreatePersonalTokenAsync(accessToken));
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserSessions>().EndAllAsync(user.Id, "test", CancellationToken.None);
        }

        Assert.Equal(HttpStatusCode.OK, (await personal.GetAsync("/api/v1/roots")).StatusCode);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
            var stored = await users.FindByIdAsync(user.Id.ToString());
            var changed = await users.ChangePasswordAsync(stored!, FileVaultAppFactory.UserPassword, FileVaultAppFactory.UserPassword + "-new");
            Assert.True(changed.Succeeded, string.Join("; ", changed.Errors.Select(e => e.Description)));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await personal.GetAsync("/api/v1/roots")).StatusCode);
    }

    [Fact]
    public async Task The_purge_deletes_expired_and_revoked_refresh_tokens_and_keeps_what_reuse_detection_needs()
    {
        var user = await app.CreateUserAsync("purge@revoke.test", Roles.User);
        using var client = app.CreateClient();
        var first = (await app.TokenAsync("purge@revoke.test", FileVaultAppFactory.UserPassword)).GetProperty("refresh_token").GetString()!;
        var rotated = await RefreshAsync(client, first);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var second = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
        var now = DateTimeOffset.UtcNow;
        long expired, revoked, consumedAndExpired;
        await using (var db = app.Database.CreateDbContext())
        {
            var stamp = await db.Users.Where(u => u.Id == user.Id).Select(u => u.SecurityStamp!).SingleAsync();
            RefreshToken Row(DateTimeOffset expiresAt, DateTimeOffset? consumedAt = null, DateTimeOffset? revokedAt = null) => new()
            {
                UserId = user.Id, FamilyId = Guid.NewGuid(), TokenHash = RandomNumberGenerator.GetBytes(32), SecurityStamp = stamp,
                CreatedAt = now.AddDays(-20), ExpiresAt = expiresAt, ConsumedAt = consumedAt, RevokedAt = revokedAt,
            };
            var rows = new[] { Row(now.AddMinutes(-1)), Row(now.AddDays(1), revokedAt: now.AddMinutes(-1)), Row(now.AddDays(-1), consumedAt: now.AddDays(-5)) };
            db.RefreshTokens.AddRange(rows);
            await db.SaveChangesAsync();
            (expired, revoked, consumedAndExpired) = (rows[0].Id, rows[1].Id, rows[2].Id);
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var run = await scope.ServiceProvider.GetRequiredService<CleanupRuns>().RunAsync(scope.ServiceProvider.GetRequiredService<RefreshTokenPurgeSchedule>(), default);
            // What the dashboard's cleanup table reports: at least these three (other tests' expired tokens may go too).
            Assert.Equal("refresh-tokens", run?.Sweep);
            Assert.True(run!.Removed >= 3 && run.Error is null, $"removed {run.Removed}, error {run.Error}");
        }

        await using (var db = app.Database.CreateDbContext())
        {
            var left = await db.RefreshTokens.Where(t => t.UserId == user.Id).Select(t => t.Id).ToListAsync();
            Assert.DoesNotContain(expired, left);
            Assert.DoesNotContain(revoked, left);
            Assert.DoesNotContain(consumedAndExpired, left);
            // The consumed first token and its live successor stay.
            Assert.Equal(2, left.Count);
        }

        // The consumed token is still known, so presenting it again is still caught as a reuse and ends its family.
        Assert.Equal(HttpStatusCode.BadRequest, (await RefreshAsync(client, first)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await RefreshAsync(client, second)).StatusCode);
    }

    private static async Task<string> CreatePersonalTokenAsync(HttpClient owner)
    {
        var created = await owner.PostAsJsonAsync("/api/v1/me/tokens", new { name = "backup script", scope = "read", expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    private static Task<HttpResponseMessage> RefreshAsync(HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("/api/v1/auth/token", new { grant_type = "refresh_token", refresh_token = refreshToken });
}
