using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Api;

public sealed class PersonalTokenApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    [Fact]
    public async Task Read_scope_token_reads_but_cannot_put()
    {
        var user = await app.CreateUserAsync("pat-read@pat.test", Roles.User);
        await app.GrantAsync(user.Id, "Sales", Permission.Read | Permission.Write);
        var secret = await CreateAsync("pat-read@pat.test", "read");
        using var pat = app.Bearer(secret);

        Assert.Equal(HttpStatusCode.OK, (await pat.GetAsync($"/api/v1/entries/{app.Id("Sales/report.txt")}")).StatusCode);
        var put = await pat.PutAsJsonAsync($"/api/v1/entries/{app.Id("Sales/report.txt")}/description", new { description = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal("token.scope_insufficient", (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Read_write_token_can_put()
    {
        var user = await app.CreateUserAsync("pat-rw@pat.test", Roles.User);
        await app.GrantAsync(user.Id, "Sales", Permission.Read | Permission.Write);
        using var pat = app.Bearer(await CreateAsync("pat-rw@pat.test", "read-write"));

        var put = await pat.PutAsJsonAsync($"/api/v1/entries/{app.Id("Sales/report.txt")}/description", new { description = "by script" });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    [Fact]
    public async Task Token_is_listed_without_secret_revocable_by_its_owner_only_and_audited()
    {
        await app.CreateUserAsync("pat-owner@pat.test", Roles.User);
        await app.CreateUserAsync("pat-other@pat.test", Roles.User);
        var secret = await CreateAsync("pat-owner@pat.test", "read");
        using var owner = await app.BearerForAsync("pat-owner@pat.test");
        using var other = await app.BearerForAsync("pat-other@pat.test");

        var listed = await owner.GetStringAsync("/api/v1/me/tokens");
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        var id = JsonDocument.Parse(listed).RootElement[0].GetProperty("id").GetInt64();
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>("/api/v1/me/tokens")).EnumerateArray());

        var stolen = await other.DeleteAsync($"/api/v1/me/tokens/{id}");
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        using (var pat = app.Bearer(secret))
        {
            Assert.Equal(HttpStatusCode.OK, (await pat.GetAsync("/api/v1/roots")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await owner.DeleteAsync($"/api/v1/me/tokens/{id}")).StatusCode);
        using (var pat = app.Bearer(secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await pat.GetAsync("/api/v1/roots")).StatusCode);
        }

        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, a => a.Action == "pat.create" && a.Target == $"pat:{id}");
        Assert.Contains(db.AuditLog, a => a.Action == "pat.revoke" && a.Target == $"pat:{id}");
        Assert.DoesNotContain(db.PersonalAccessTokens, t => t.Name == secret);
    }

    [Fact]
    public async Task Disabling_the_user_kills_their_personal_tokens()
    {
        var user = await app.CreateUserAsync("pat-disabled@pat.test", Roles.User);
        var secret = await CreateAsync("pat-disabled@pat.test", "read");
        using var pat = app.Bearer(secret);
        // Used once first: the answer the app now remembers for this token must not outlive the disable.
        Assert.Equal(HttpStatusCode.OK, (await pat.GetAsync("/api/v1/roots")).StatusCode);
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/users/{user.Id}/disable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await pat.GetAsync("/api/v1/roots")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/users/{user.Id}/enable", null)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await pat.GetAsync("/api/v1/roots")).StatusCode);
    }

    [Fact]
    public async Task Invalid_scope_and_expiry_are_refused_with_codes()
    {
        await app.CreateUserAsync("pat-invalid@pat.test", Roles.User);
        using var client = await app.BearerForAsync("pat-invalid@pat.test");

        var scope = await client.PostAsJsonAsync("/api/v1/me/tokens", new { name = "x", scope = "admin", expiresInDays = 30 });
        var expiry = await client.PostAsJsonAsync("/api/v1/me/tokens", new { name = "x", scope = "read", expiresInDays = 0 });

        Assert.Equal("pat.scope_invalid", (await scope.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal("pat.expiry_invalid", (await expiry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    private async Task<string> CreateAsync(string email, string scope)
    {
        using var client = await app.BearerForAsync(email);
        var response = await client.PostAsJsonAsync("/api/v1/me/tokens", new { name = "script", scope, expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var secret = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.StartsWith("fvp_", secret, StringComparison.Ordinal);
        return secret;
    }
}
