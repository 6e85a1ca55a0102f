using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Access;

/// <summary>The first SuperAdmin: FILEVAULT_ADMIN_EMAIL / FILEVAULT_ADMIN_PASSWORD, or a generated password printed once.</summary>
public sealed class FirstAdminOptions
{
    public const string DefaultEmail = "admin@filevault.local";

    public string Email { get; set; } = DefaultEmail;

    public string? Password { get; set; }
}

/// <summary>Creates the roles and, when no SuperAdmin exists yet, the first one.</summary>
public sealed class AdminSeeder(
    RoleManager<IdentityRole<Guid>> roleManager,
    UserManager<FileVaultUser> userManager,
    IOptions<FirstAdminOptions> options,
    TimeProvider time,
    ILogger<AdminSeeder> logger)
{
    public async Task SeedAsync(TextWriter console, CancellationToken cancellationToken)
    {
        foreach (var role in Roles.All)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                await roleManager.CreateAsync(new IdentityRole<Guid>(role));
            }
        }

        var superAdmins = await userManager.GetUsersInRoleAsync(Roles.SuperAdmin);
        if (superAdmins.Count > 0)
        {
            return;
        }

        var email = options.Value.Email.Trim();
        var password = options.Value.Password;
        var generated = string.IsNullOrEmpty(password);
        if (generated)
        {
            password = GeneratePassword();
        }

        var admin = await userManager.FindByEmailAsync(email);
        if (admin is null)
        {
            admin = new FileVaultUser
            {
                UserName = email,
                Email = email,
                EmailConfirmed = true,
                DisplayName = "Administrator",
                CreatedAt = time.GetUtcNow(),
            };
            var created = await userManager.CreateAsync(admin, password!);
            if (!created.Succeeded)
            {
                throw new InvalidOperationException(
                    "The first SuperAdmin could not be created: " + string.Join("; ", created.Errors.Select(e => e.Description)));
            }
        }

        await userManager.AddToRolesAsync(admin, [Roles.SuperAdmin, Roles.User]);
        logger.LogInformation("Created the first SuperAdmin {Email}", email);

        if (generated)
        {
            // Printed to the console once, never logged: logs are kept and shipped, this line is not.
            await console.WriteLineAsync(
                $"""

                 ================= FileVault first sign-in =================
                   e-mail:   {email}
                   password: {password}
                   This password is shown only now. Change it after signing in.
                 ===========================================================

                """);
        }
    }

    /// <summary>20 characters from an alphabet without look-alikes; always has a lower-case letter, an upper-case letter and a digit.</summary>
    public static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnpqrstuvwxyz";
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string digits = "23456789";
        const string all = lower + upper + digits;
        var chars = new char[20];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        for (var i = 3; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}
