using FileVault.Core.Access;
using FileVault.Core.Tokens;
using FileVault.Web.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using FileVault.Web.Hosting;

namespace FileVault.Web.Endpoints;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with antiforgery (validated by UseAntiforgery for form-bound endpoints).
        // Signing out ends every session of the user (R-AUTH-4): other browsers within a minute, API access and
        // refresh tokens at once. Personal access tokens stay (UserSessions).
        app.MapPost("/account/logout", async (
                [FromForm] string? returnUrl, HttpContext context, SignInManager<FileVaultUser> signIn, UserSessions sessions) =>
            {
                if (AccessSubject.FromPrincipal(context.User) is { } user)
                {
                    await sessions.EndAllAsync(user.UserId, "sign_out", CancellationToken.None);
                }

                await signIn.SignOutAsync();
                return TypedResults.LocalRedirect("/account/login?signedOut=true");
            })
            .WithName("SignOut");

        app.MapGet("/culture/set", (string culture, string? returnUrl, HttpContext context, [FromServices] TimeProvider time) =>
            {
                if (!Localization.SupportedCultures.Contains(culture, StringComparer.OrdinalIgnoreCase))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unsupported language",
                        extensions: new Dictionary<string, object?> { ["code"] = "culture.unsupported" });
                }

                context.Response.Cookies.Append(
                    CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                    new CookieOptions { Expires = time.GetUtcNow().AddYears(1), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
                return Results.LocalRedirect(PasswordSignIn.SafeReturnUrl(returnUrl));
            })
            .AllowAnonymous()
            .WithName("SetCulture");
        return app;
    }
}
