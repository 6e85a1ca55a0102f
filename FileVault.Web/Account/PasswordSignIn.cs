using FileVault.Core.Access;
using FileVault.Core.Audit;
using Microsoft.AspNetCore.Identity;

namespace FileVault.Web.Account;

/// <summary>
/// Password sign-in for the UI and the token endpoint, sharing one lock-out (R-AUTH-6). Unknown e-mail, disabled
/// account, wrong password and lock-out all answer the same and take about as long (a password hash is verified in
/// every case), so neither reveals which accounts exist. Every attempt leaves an audit row.
/// </summary>
public sealed class PasswordSignIn(
    SignInManager<FileVaultUser> signInManager,
    UserManager<FileVaultUser> users,
    IPasswordHasher<FileVaultUser> hasher,
    AuditRecorder audit,
    ILogger<PasswordSignIn> logger)
{
    private static readonly FileVaultUser NobodyUser = new();
    private static string? s_nobodyHash;

    /// <summary>Signs in with the application cookie.</summary>
    public async Task<bool> SignInAsync(string email, string password, bool remember)
    {
        return await VerifyAsync(email, password, "form", user =>
            signInManager.PasswordSignInAsync(user, password, remember, lockoutOnFailure: true)) is not null;
    }

    /// <summary>Checks the password without a cookie, for the API's token endpoint; the user when it is right.</summary>
    public Task<FileVaultUser?> CheckAsync(string email, string password) =>
        VerifyAsync(email, password, "token", user => signInManager.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true));

    private async Task<FileVaultUser?> VerifyAsync(string email, string password, string channel, Func<FileVaultUser, Task<SignInResult>> signIn)
    {
        email = email.Trim();
        var user = await users.FindByEmailAsync(email);
        if (user is null || user.IsDisabled)
        {
            s_nobodyHash ??= hasher.HashPassword(NobodyUser, Guid.NewGuid().ToString());
            hasher.VerifyHashedPassword(NobodyUser, s_nobodyHash, password);
            var reason = user is null ? "unknown user" : "disabled";
            logger.LogWarning("Sign-in refused for {Email}: {Reason}", email, reason);
            await AuditAsync(user?.Id, "auth.sign_in_failed", email, channel, reason);
            return null;
        }

        var result = await signIn(user);
        if (result.Succeeded)
        {
            logger.LogInformation("User {Email} signed in ({Channel})", email, channel);
            await AuditAsync(user.Id, "auth.sign_in", email, channel, null);
            return user;
        }

        var failure = result.IsLockedOut ? "locked out" : "wrong password";
        logger.LogWarning("Sign-in failed for {Email}: {Reason}", email, failure);
        await AuditAsync(user.Id, "auth.sign_in_failed", email, channel, failure);
        return null;
    }

    private async Task AuditAsync(Guid? userId, string action, string email, string channel, string? reason)
    {
        var target = userId is { } id ? $"user:{id}" : "email:" + (email.Length > 190 ? email[..190] : email);
        await audit.RecordAsync(userId, action, target, new { Channel = channel, Reason = reason }, reason is null ? AuditResult.Succeeded : AuditResult.Failed,
            CancellationToken.None);
    }

    /// <summary>A local path to continue to after sign-in; anything else (absolute, protocol-relative) becomes "/".</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            ? url
            : "/";
}
