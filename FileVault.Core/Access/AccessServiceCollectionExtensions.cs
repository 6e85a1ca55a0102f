using FileVault.Core.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Access;

public static class AccessServiceCollectionExtensions
{
    /// <summary>ASP.NET Core Identity's user and role stores on EF Core, with FileVault's password and lockout rules.</summary>
    public static IdentityBuilder AddFileVaultIdentity(this IServiceCollection services)
    {
        // PBKDF2-HMAC-SHA512 at OWASP's recommended work factor (R-AUTH-7).
        services.Configure<PasswordHasherOptions>(options => options.IterationCount = 220_000);
        services.AddScoped<AdminSeeder>();
        return services.AddIdentityCore<FileVaultUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedAccount = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                // Length over composition (NIST 800-63B); the unique-character rule refuses "aaaaaaaaaa".
                options.Password.RequiredLength = 10;
                options.Password.RequiredUniqueChars = 4;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<FileVaultDbContext>();
    }

    /// <summary>The access evaluator (scoped: one cache per request or circuit), its change stamp, and the services that edit grants, users and groups.</summary>
    public static IServiceCollection AddFileVaultAccess(this IServiceCollection services)
    {
        services.AddSingleton<AccessVersion>();
        services.AddScoped<AccessEvaluator>();
        services.AddScoped<GrantService>();
        services.AddScoped<WriteAccess>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<GroupAdministration>();
        services.AddSingleton<AuditQueries>();
        return services;
    }

    /// <summary>The role policies pages, navigation and endpoints ask for.</summary>
    public static AuthorizationBuilder AddFileVaultPolicies(this AuthorizationBuilder builder) => builder
        .AddPolicy(Policies.Files, policy => policy.RequireRole(Policies.FilesRoles))
        .AddPolicy(Policies.Admin, policy => policy.RequireRole(Policies.AdminRoles))
        .AddPolicy(Policies.Desk, policy => policy.RequireRole(Policies.DeskRoles));
}
