using FileVault.Core.Access;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Account;

public static class AccountServiceCollectionExtensions
{
    /// <summary>ASP.NET Core Identity on EF Core, the sign-in cookie, role policies and circuit revalidation.</summary>
    public static IServiceCollection AddFileVaultAccounts(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration("FileVault:Security").ValidateDataAnnotations().ValidateOnStart();

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

        services.AddFileVaultIdentity()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));
        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountOptions>>((options, account) =>
            options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(account.Value.LockoutMinutes));

        services.AddAuthorizationBuilder().AddFileVaultPolicies();
        return services;
    }
}
