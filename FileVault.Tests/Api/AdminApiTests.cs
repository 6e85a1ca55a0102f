using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Api;

public sealed class AdminApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    public static TheoryData<string, string> AdminEndpoints() => new()
    {
        { "GET", "/api/v1/admin/users" },
        { "POST", "/api/v1/admin/users" },
        { "POST", $"/api/v1/admin/users/{Guid.Empty}/disable" },
        { "POST", $"/api/v1/admin/users/{Guid.Empty}/enable" },
        { "POST", $"/api/v1/admin/users/{Guid.Empty}/unlock" },
        { "GET", "/api/v1/admin/groups" },
        { "POST", "/api/v1/admin/groups" },
        { "GET", "/api/v1/admin/groups/1/members" },
        { "PUT", $"/api/v1/admin/groups/1/members/{Guid.Empty}" },
        { "DELETE", $"/api/v1/admin/groups/1/members/{Guid.Empty}" },
        { "GET", "/api/v1/admin/grants?rootId=1&path=" },
        { "POST", "/api/v1/admin/grants" },
        { "DELETE", "/api/v1/admin/grants/1" },
        { "GET", "/api/v1/admin/roots" },
        { "POST", "/api/v1/admin/roots" },
        { "POST", "/api/v1/admin/roots/1/scans" },
    };

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task Plain_user_gets_403_problem_from_every_admin_endpoint(string method, string url)
    {
        var email = $"plain-{method}-{url.GetHashCode(StringComparison.Ordinal):x}@admin-api.test".ToLowerInvariant();
        await app.CreateUserAsync(email, Roles.User);
        using var client = await app.BearerForAsync(email);
        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("auth.forbidden", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Anonymous_api_call_gets_401_problem_not_the_sign_in_page()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync("/api/v1/admin/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Admin_scripts_users_groups_grants_and_scans()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var created = await admin.PostAsJsonAsync("/api/v1/admin/users", new { email = "scripted@admin-api.test", displayName = "Scripted" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var userId = body.GetProperty("user").GetProperty("id").GetGuid();
        Assert.False(string.IsNullOrEmpty(body.GetProperty("generatedPassword").GetString()));
        var again = await admin.PostAsJsonAsync("/api/v1/admin/users", new { email = "scripted@admin-api.test", displayName = "Scripted" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("user.email_taken", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var group = await (await admin.PostAsJsonAsync("/api/v1/admin/groups", new { name = "Scripted group" })).Content.ReadFromJsonAsync<JsonElement>();
        var groupId = group.GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/v1/admin/groups", new { name = "Scripted group" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"/api/v1/admin/groups/{groupId}/members/{userId}", null)).StatusCode);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/groups/{groupId}/members")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/admin/groups/999999/members")).StatusCode);

        var grant = await admin.PostAsJsonAsync("/api/v1/admin/grants",
            new { rootId = app.RootId, relativePath = "Sales", groupId, permissions = "Read, Write", effect = "Allow" });
        Assert.Equal(HttpStatusCode.OK, grant.StatusCode);
        var grantId = (await grant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var duplicate = await admin.PostAsJsonAsync("/api/v1/admin/grants",
            new { rootId = app.RootId, relativePath = "Sales", groupId, permissions = "Read", effect = "Allow" });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/grants?rootId={app.RootId}&path=Sales")).GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/v1/admin/grants/{grantId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/admin/grants/{grantId}")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/v1/admin/roots/999999/scans", new { kind = "Full" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync($"/api/v1/admin/roots/{app.RootId}/scans", new { kind = "Incremental" })).StatusCode);
        var badRoot = await admin.PostAsJsonAsync("/api/v1/admin/roots", new { name = "x", path = "relative/path", isReadOnly = false });
        Assert.Equal("root.path_not_absolute", (await badRoot.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Single((await admin.GetFromJsonAsync<JsonElement>("/api/v1/admin/roots")).EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/users/{userId}/disable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/admin/users/{Guid.NewGuid()}/unlock", null)).StatusCode);

        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, a => a.Action == "grant.create");
        Assert.Contains(db.AuditLog, a => a.Action == "grant.delete");
    }
}
