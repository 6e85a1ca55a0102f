using FileVault.Core.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
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
        services.AddSingleton<UserCircuitRegistry>();
        services.AddScoped<UserCircuitLimit>();
        services.AddScoped<CircuitHandler>(provider => provider.GetRequiredService<UserCircuitLimit>());

        services.AddAuthentication(options =>
            {
                // Bearer tokens for scripts, the cookie for everything else (ApiAuthentication picks per request).
                options.DefaultScheme = ApiAuthentication.PolicyScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddFileVaultApiAuthentication()
            .AddIdentityCookies();

        // The antiforgery cookie defaults to no Secure flag at all; like the sign-in cookie it is Secure whenever the
        // request came over HTTPS (behind nginx: X-Forwarded-Proto from a trusted proxy), R-AUTH-8.
        services.AddAntiforgery(antiforgery => antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

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
            // The API answers 401/403 (ProblemDetails) instead of redirecting a script to the sign-in page.
            cookie.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
        });

        services.AddFileVaultIdentity()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        // Sign-in cookies on other devices re-check the security stamp as often as circuits do (R-AUTH-4/5).
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<AccountOptions>>((options, account) =>
            options.ValidationInterval = account.Value.RevalidationInterval);
        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountOptions>>((options, account) =>
            options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(account.Value.LockoutMinutes));

        services.AddAuthorizationBuilder().AddFileVaultPolicies();
        return services;
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
