using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using FileVault.Core.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FileVault.Tests.Api;

/// <summary>Access and refresh tokens (R-AUTH-3, R-AUTH-4).</summary>
public sealed class TokenApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    private const string Me = "/api/v1/roots";

    [Fact]
    public async Task Password_grant_returns_oauth_names_and_a_working_15_minute_jwt()
    {
        await app.CreateUserAsync("issue@token.test", Roles.User);
        using var client = app.CreateClient();

        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "issue@token.test", password = FileVaultAppFactory.UserPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        Assert.StartsWith("fvr_", body.GetProperty("refresh_token").GetString(), StringComparison.Ordinal);
        var jwt = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(TimeSpan.FromMinutes(15), jwt.ValidTo - jwt.IssuedAt);

        using var api = app.Bearer(body.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Me)).StatusCode);

        await using var db = app.Database.CreateDbContext();
        var user = db.Users.Single(u => u.Email == "issue@token.test");
        Assert.Contains(db.AuditLog, a => a.Action == "auth.sign_in" && a.Target == $"user:{user.Id}");
        Assert.Contains(db.AuditLog, a => a.Action == "token.issue" && a.Target == $"user:{user.Id}");
        // Only the hash is stored.
        Assert.DoesNotContain(db.RefreshTokens, t => t.TokenHash.SequenceEqual(Encoding.UTF8.GetBytes(body.GetProperty("refresh_token").GetString()!)));
        Assert.Single(db.RefreshTokens, t => t.TokenHash.SequenceEqual(TokenSecrets.Hash(body.GetProperty("refresh_token").GetString()!)));
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_problem_and_are_audited()
    {
        await app.CreateUserAsync("wrong@token.test", Roles.User);
        using var client = app.CreateClient();

        var wrong = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "wrong@token.test", password = "not-the-password" });
        var unknown = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "nobody@token.test", password = "not-the-password" });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var a = await wrong.Content.ReadFromJsonAsync<JsonElement>();
        var b = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("auth.invalid_grant", a.GetProperty("code").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, r => r.Action == "auth.sign_in_failed" && r.Target == "email:nobody@token.test");
    }

    [Fact]
    public async Task Refresh_rotates_and_reusing_a_rotated_token_revokes_the_family()
    {
        await app.CreateUserAsync("rotate@token.test", Roles.User);
        var first = await app.TokenAsync("rotate@token.test", FileVaultAppFactory.UserPassword);
        var refresh1 = first.GetProperty("refresh_token").GetString()!;
        using var client = app.CreateClient();

        var second = await Refresh(client, refresh1);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var refresh2 = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refresh1, refresh2);

        // The first token again: a thief (or a replay). Refused, and the successor dies with it.
        var reuse = await Refresh(client, refresh1);
        Assert.Equal(HttpStatusCode.BadRequest, reuse.StatusCode);
        Assert.Equal("auth.invalid_grant", (await reuse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await Refresh(client, refresh2)).StatusCode);

        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, r => r.Action == "token.revoke_family");
        Assert.Equal(HttpStatusCode.BadRequest, (await Refresh(client, "fvr_made-up")).StatusCode);
    }

    [Fact]
    public async Task Password_change_kills_access_and_refresh_tokens()
    {
        var user = await app.CreateUserAsync("change@token.test", Roles.User);
        var tokens = await app.TokenAsync("change@token.test", FileVaultAppFactory.UserPassword);
        using var api = app.Bearer(tokens.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Me)).StatusCode);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
            var result = await users.ChangePasswordAsync((await users.FindByIdAsync(user.Id.ToString()))!, FileVaultAppFactory.UserPassword, "a-brand-new-password-1");
            Assert.True(result.Succeeded);
        }

        var after = await api.GetAsync(Me);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("auth.unauthenticated", (await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await Refresh(client, tokens.GetProperty("refresh_token").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task Disabling_a_user_kills_their_access_token()
    {
        var user = await app.CreateUserAsync("disable@token.test", Roles.User);
        using var api = await app.BearerForAsync("disable@token.test");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(Me)).StatusCode);
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/users/{user.Id}/disable", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync(Me)).StatusCode);
    }

    public static TheoryData<string> Tamperings() => ["none", "wrong-key", "expired", "wrong-audience", "wrong-issuer", "wrong-type", "not-yet-valid"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Tampered_jwt_is_refused(string tampering)
    {
        var user = await app.CreateUserAsync($"tamper-{tampering}@token.test", Roles.User);
        var key = await app.Services.GetRequiredService<ApiSigningKeyStore>().GetAsync(CancellationToken.None);
        var options = app.Services.GetRequiredService<IOptions<ApiTokenOptions>>().Value;
        string stamp;
        await using (var db = app.Database.CreateDbContext())
        {
            stamp = db.Users.Single(u => u.Id == user.Id).SecurityStamp!;
        }

        string Forge(byte[] signingKey, string audience, string issuer, DateTime notBefore, DateTime expires, string type) =>
            new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = issuer,
                Audience = audience,
                Subject = new ClaimsIdentity([new Claim("sub", user.Id.ToString()), new Claim("role", Roles.User), new Claim("fv_stamp", stamp)]),
                IssuedAt = notBefore,
                NotBefore = notBefore,
                Expires = expires,
                TokenType = type,
                SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(signingKey), SecurityAlgorithms.HmacSha256),
            });

        var now = DateTime.UtcNow;
        var valid = Forge(key, options.Audience, options.Issuer, now, now.AddMinutes(5), "at+jwt");
        // The forgery kit is right: the untampered token works.
        using (var ok = app.Bearer(valid))
        {
            Assert.Equal(HttpStatusCode.OK, (await ok.GetAsync(Me)).StatusCode);
        }

        var token = tampering switch
        {
            "none" => Unsigned(valid),
            "wrong-key" => Forge(new byte[64], options.Audience, options.Issuer, now, now.AddMinutes(5), "at+jwt"),
            "expired" => Forge(key, options.Audience, options.Issuer, now.AddMinutes(-20), now.AddMinutes(-5), "at+jwt"),
            "wrong-audience" => Forge(key, "someone-else", options.Issuer, now, now.AddMinutes(5), "at+jwt"),
            "wrong-issuer" => Forge(key, options.Audience, "evil", now, now.AddMinutes(5), "at+jwt"),
            "wrong-type" => Forge(key, options.Audience, options.Issuer, now, now.AddMinutes(5), "JWT"),
            "not-yet-valid" => Forge(key, options.Audience, options.Issuer, now.AddMinutes(5), now.AddMinutes(10), "at+jwt"),
            _ => throw new ArgumentException(tampering),
        };

        using var api = app.Bearer(token);
        var response = await api.GetAsync(Me);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("auth.unauthenticated", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Signing_key_is_generated_once_and_kept_in_the_database()
    {
        var key = await app.Services.GetRequiredService<ApiSigningKeyStore>().GetAsync(CancellationToken.None);
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(key, db.ApiSigningKeys.Single().KeyMaterial);
        Assert.True(key.Length >= 32);
    }

    /// <summary>The same header and claims with alg "none" and no signature.</summary>
    private static string Unsigned(string jwt)
    {
        var parts = jwt.Split('.');
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"at+jwt\"}"));
        return $"{header}.{parts[1]}.";
    }

    private static Task<HttpResponseMessage> Refresh(HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("/api/v1/auth/token", new { grant_type = "refresh_token", refresh_token = refreshToken });
}
