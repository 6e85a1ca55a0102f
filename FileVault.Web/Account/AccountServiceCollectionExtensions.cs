using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace FileVault.Web.Account;

public static class AccountServiceCollectionExtensions
{
    /// <summary>ASP.NET Core Identity on EF Core, the sign-in cookie, role policies and circuit revalidation.</summary>
    public static IServiceCollection AddFileVaultAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccountOptions>().BindConfiguration("FileVault:Security").ValidateDataAnnotations().ValidateOnStart();
        var lockoutMinutes = configuration.GetValue("FileVault:Security:LockoutMinutes", 15);

        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationStateProvider>();
        services.AddScoped<PasswordSignIn>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "FileVault.Auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(10);
            cookie.SlidingExpiration = true;
        });

        services.AddIdentityCore<FileVaultUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedAccount = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(lockoutMinutes);
                // Length over composition (NIST 800-63B); common shapes are still refused by the unique-character rule.
                options.Password.RequiredLength = 10;
                options.Password.RequiredUniqueChars = 4;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<FileVaultDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        // PBKDF2-HMAC-SHA512 at OWASP's recommended work factor (R-AUTH-7).
        services.Configure<PasswordHasherOptions>(options => options.IterationCount = 220_000);
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Files, policy => policy.RequireRole(Policies.FilesRoles))
            .AddPolicy(Policies.Admin, policy => policy.RequireRole(Policies.AdminRoles))
            .AddPolicy(Policies.Desk, policy => policy.RequireRole(Policies.DeskRoles));
        return services;
    }
}
