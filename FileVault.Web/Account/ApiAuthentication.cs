using System.Security.Claims;
using FileVault.Core.Data;
using FileVault.Core.Tokens;
using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FileVault.Web.Account;

/// <summary>
/// How a request proves who it is. One policy scheme picks: under /api/v1, <c>Authorization: Bearer fvp_…</c> is a
/// personal access token, any other bearer value a JWT access token, and no bearer header the sign-in cookie.
/// Everywhere else (pages, <c>/_blazor</c>, the ZIP download form) only the cookie counts and an Authorization header is
/// ignored, so a token's scope can never be widened through the UI: a read-only token must not open the page that mints
/// read-write ones.
/// </summary>
public static class ApiAuthentication
{
    public const string PolicyScheme = "FileVault";
    public const string JwtScheme = JwtBearerDefaults.AuthenticationScheme;
    public const string PersonalTokenScheme = "PersonalAccessToken";

    /// <summary>The JWT type header (RFC 9068); a token of any other type is refused.</summary>
    public const string AccessTokenType = "at+jwt";

    /// <summary>The security stamp an access token was issued under, checked on every call (R-AUTH-4).</summary>
    public const string StampClaim = "fv_stamp";

    /// <summary>"read" or "read-write" on principals from personal access tokens.</summary>
    public const string ScopeClaim = "fv_scope";

    public static AuthenticationBuilder AddFileVaultApiAuthentication(this AuthenticationBuilder builder)
    {
        var services = builder.Services;
        services.AddApiTokens();
        services.AddSingleton<AccessTokenIssuer>();
        services.AddOptions<JwtBearerOptions>(JwtScheme)
            .Configure<ApiSigningKeyStore, IOptions<ApiTokenOptions>>((options, keys, tokens) =>
            {
                options.MapInboundClaims = true;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = tokens.Value.Issuer,
                    ValidAudience = tokens.Value.Audience,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ValidateIssuerSigningKey = true,
                    // RFC 8725: one algorithm, no "none", no HS/RS confusion; the key comes from here only, never from
                    // a jku, jwk, x5u or kid in the token.
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ValidTypes = [AccessTokenType],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    IssuerSigningKeyResolver = (_, _, _, _) => keys.Current is { } key ? [new SymmetricSecurityKey(key)] : [],
                };
                options.Events = new JwtBearerEvents
                {
                    OnMessageReceived = async context => await keys.GetAsync(context.HttpContext.RequestAborted),
                    OnTokenValidated = RejectRevokedAsync,
                };
            });

        return builder
            .AddPolicyScheme(PolicyScheme, "Cookie or bearer token", options => options.ForwardDefaultSelector = SelectScheme)
            .AddJwtBearer(JwtScheme, _ => { })
            .AddScheme<AuthenticationSchemeOptions, PersonalAccessTokenHandler>(PersonalTokenScheme, _ => { });
    }

    /// <summary>The bearer value of the Authorization header, or null.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string SelectScheme(HttpContext context)
    {
        // Matched like routing matches (by segment, any case), so no spelling of an API path reaches a page as bearer.
        if (!context.Request.Path.StartsWithSegments(ApiEndpoints.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return IdentityConstants.ApplicationScheme;
        }

        return BearerToken(context.Request) switch
        {
            null => IdentityConstants.ApplicationScheme,
            var token when token.StartsWith(TokenSecrets.PersonalPrefix, StringComparison.Ordinal) => PersonalTokenScheme,
            _ => JwtScheme,
        };
    }

    /// <summary>An access token dies with its user's security stamp: password change, disable or role change (R-AUTH-4).</summary>
    private static async Task RejectRevokedAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        var stamp = principal.FindFirstValue(StampClaim);
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId) || stamp is null)
        {
            context.Fail("The access token names no user.");
            return;
        }

        var accounts = context.HttpContext.RequestServices.GetRequiredService<TokenAccounts>();
        if (!await accounts.IsCurrentAsync(userId, stamp, context.HttpContext.RequestAborted))
        {
            context.Fail("The access token was revoked.");
        }
    }
}

/// <summary>Signs JWT access tokens (HS256, 15 minutes at most) for the token endpoint.</summary>
public sealed class AccessTokenIssuer(ApiSigningKeyStore keys, IOptions<ApiTokenOptions> options, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public TimeSpan Lifetime => options.Value.AccessTokenLifetime;

    public async Task<string> CreateAsync(TokenUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var key = await keys.GetAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, user.UserId.ToString()),
            new(JwtRegisteredClaimNames.Email, user.Email),
            new(JwtRegisteredClaimNames.UniqueName, user.Email),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
            new(ApiAuthentication.StampClaim, user.SecurityStamp),
        };
        claims.AddRange(user.Roles.Select(role => new Claim("role", role)));
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            TokenType = ApiAuthentication.AccessTokenType,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }
}
