using System.Security.Claims;
using System.Text.Json.Serialization;
using FileVault.Core.Data;
using FileVault.Core.Tokens;
using FileVault.Web.Account;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>
/// <c>grant_type</c> "password" (with <c>email</c> and <c>password</c>) or "refresh_token" (with <c>refresh_token</c>);
/// when absent it is inferred from which fields are present.
/// </summary>
public sealed record TokenRequest(
    [property: JsonPropertyName("grant_type")] string? GrantType,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken);

/// <summary>The OAuth 2 token response (RFC 6749 section 5.1).</summary>
public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string RefreshToken);

/// <summary>Scope "read" or "read-write"; the token expires after <see cref="ExpiresInDays"/> days.</summary>
public sealed record NewPersonalTokenRequest(string Name, string Scope, int ExpiresInDays);

public static class TokenEndpoints
{
    /// <summary>The rate-limited endpoints' policy name (see SignInRateLimiting).</summary>
    public const string TokenEndpointName = "IssueToken";

    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/auth/token", IssueAsync)
            .AllowAnonymous()
            .WithTags("Auth")
            .WithName(TokenEndpointName)
            .WithSummary("Exchanges e-mail and password, or a refresh token, for a 15-minute JWT access token and a new refresh token.");

        var mine = api.MapGroup("/me/tokens").RequireAuthorization().WithTags("Personal access tokens");
        mine.MapGet("", async (ClaimsPrincipal user, PersonalAccessTokens tokens, CancellationToken ct) =>
                TypedResults.Ok(await tokens.ListAsync(user.Actor(), ct)))
            .WithName("ListPersonalTokens").WithSummary("Lists the caller's personal access tokens (never their secrets).");
        mine.MapPost("", CreatePersonalTokenAsync)
            .WithName("CreatePersonalToken").WithSummary("Creates a personal access token; the secret is in this response only.");
        mine.MapDelete("/{id:long}", async (long id, ClaimsPrincipal user, PersonalAccessTokens tokens, CancellationToken ct) =>
                (await tokens.RevokeAsync(user.Actor(), id, ct)).ToOk())
            .WithName("RevokePersonalToken").WithSummary("Revokes one of the caller's personal access tokens.");
        return api;
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueAsync(
        TokenRequest request,
        PasswordSignIn signIn,
        RefreshTokens refreshTokens,
        AccessTokenIssuer issuer,
        TokenAccounts accounts,
        HttpContext http,
        CancellationToken ct)
    {
        // Tokens must not sit in caches (RFC 6749 section 5.1).
        http.Response.Headers.CacheControl = "no-store";
        var grant = request.GrantType ?? (request.RefreshToken is not null ? "refresh_token" : "password");
        TokenUser? user;
        IssuedRefreshToken refresh;
        switch (grant)
        {
            case "password" when request is { Email.Length: > 0, Password.Length: > 0 }:
                var signedIn = await signIn.CheckAsync(request.Email, request.Password);
                user = signedIn is null ? null : await accounts.FindEnabledAsync(signedIn.Id, ct);
                if (user is null)
                {
                    return InvalidGrant("The e-mail or password is wrong, or the account is locked or disabled.");
                }

                refresh = await refreshTokens.IssueAsync(user, ct);
                break;
            case "refresh_token" when request.RefreshToken is { Length: > 0 }:
                var rotated = await refreshTokens.RotateAsync(request.RefreshToken, ct);
                if (!rotated.IsSuccess)
                {
                    return InvalidGrant("The refresh token is not valid.");
                }

                (user, refresh) = (rotated.Value.User, rotated.Value.Next);
                break;
            default:
                return ApiProblems.From("auth.invalid_request", "Send email and password, or refresh_token.");
        }

        var access = await issuer.CreateAsync(user, ct);
        return TypedResults.Ok(new TokenResponse(access, "Bearer", (int)issuer.Lifetime.TotalSeconds, refresh.Token));
    }

    private static async Task<Results<Ok<CreatedPersonalAccessToken>, ProblemHttpResult>> CreatePersonalTokenAsync(
        NewPersonalTokenRequest request, ClaimsPrincipal user, PersonalAccessTokens tokens, TimeProvider time, CancellationToken ct)
    {
        TokenScope? scope = request.Scope switch
        {
            "read" => TokenScope.Read,
            "read-write" => TokenScope.ReadWrite,
            _ => null,
        };
        if (scope is null)
        {
            return ApiProblems.From("pat.scope_invalid", "The scope is \"read\" or \"read-write\".");
        }

        if (request.ExpiresInDays is < 1 or > 730)
        {
            return ApiProblems.From("pat.expiry_invalid", "expiresInDays is 1 to 730.");
        }

        return (await tokens.CreateAsync(user.Actor(), request.Name, scope.Value, time.GetUtcNow().AddDays(request.ExpiresInDays), ct)).ToOk();
    }

    private static ProblemHttpResult InvalidGrant(string message) => ApiProblems.From("auth.invalid_grant", message);
}
