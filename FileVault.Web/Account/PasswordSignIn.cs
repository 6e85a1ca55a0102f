using FileVault.Core.Access;
using Microsoft.AspNetCore.Identity;

namespace FileVault.Web.Account;

/// <summary>
/// Password sign-in for the UI. Unknown e-mail, disabled account, wrong password and lock-out all answer the same and
/// take about as long (a password hash is verified in every case), so the form does not reveal which accounts exist.
/// </summary>
public sealed class PasswordSignIn(
    SignInManager<FileVaultUser> signInManager,
    UserManager<FileVaultUser> users,
    IPasswordHasher<FileVaultUser> hasher,
    ILogger<PasswordSignIn> logger)
{
    private static readonly FileVaultUser NobodyUser = new();
    private static string? s_nobodyHash;

    public async Task<bool> SignInAsync(string email, string password, bool remember)
    {
        email = email.Trim();
        var user = await users.FindByEmailAsync(email);
        if (user is null || user.IsDisabled)
        {
            s_nobodyHash ??= hasher.HashPassword(NobodyUser, Guid.NewGuid().ToString());
            hasher.VerifyHashedPassword(NobodyUser, s_nobodyHash, password);
            logger.LogWarning("Sign-in refused for {Email}: {Reason}", email, user is null ? "unknown user" : "disabled");
            return false;
        }

        var result = await signInManager.PasswordSignInAsync(user, password, remember, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            logger.LogInformation("User {Email} signed in", email);
        }
        else
        {
            logger.LogWarning("Sign-in failed for {Email}: {Reason}", email, result.IsLockedOut ? "locked out" : "wrong password");
        }

        return result.Succeeded;
    }

    /// <summary>A local path to continue to after sign-in; anything else (absolute, protocol-relative) becomes "/".</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
            ? url
            : "/";
}
