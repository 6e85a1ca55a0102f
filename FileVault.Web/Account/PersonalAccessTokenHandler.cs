using System.Security.Claims;
using System.Text.Encodings.Web;
using FileVault.Core.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Account;

/// <summary>
/// Authenticates <c>Authorization: Bearer fvp_…</c>: looks the token's hash up, and builds a principal with the user's
/// current roles and the token's scope. Revoked, expired and stamp-stale tokens fail.
/// </summary>
public sealed class PersonalAccessTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PersonalAccessTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApiAuthentication.BearerToken(Request) is not { } secret || !secret.StartsWith(TokenSecrets.PersonalPrefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.NoResult();
        }

        var identity = await tokens.AuthenticateAsync(secret, Context.RequestAborted);
        if (identity is null)
        {
            return AuthenticateResult.Fail("The personal access token is not valid.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, identity.User.UserId.ToString()),
            new(ClaimTypes.Name, identity.User.Email),
            new(ClaimTypes.Email, identity.User.Email),
            new(ApiAuthentication.ScopeClaim, identity.Scope == TokenScope.Read ? "read" : "read-write"),
            new("fv_pat", identity.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        claims.AddRange(identity.User.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Task.CompletedTask;
    }
}
