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
        { "PUT", $"/api/v1/admin/users/{Guid.Empty}/roles" },
        { "POST", $"/api/v1/admin/users/{Guid.Empty}/password" },
        { "PUT", "/api/v1/admin/groups/1" },
        { "DELETE", "/api/v1/admin/groups/1" },
        { "PUT", "/api/v1/admin/grants/1" },
        { "GET", $"/api/v1/admin/grants/explain?userId={Guid.Empty}&rootId=1&path=" },
        { "POST", "/api/v1/admin/roots/1/scans/cancel" },
        { "POST", "/api/v1/admin/duplicates/scans" },
        { "GET", "/api/v1/admin/duplicates/scans/last" },
        { "GET", "/api/v1/admin/duplicates" },
        { "POST", "/api/v1/admin/duplicates/resolve" },
        { "GET", "/api/v1/admin/statistics/roots/1" },
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

    [Fact]
    public async Task The_last_SuperAdmin_cannot_be_demoted_but_another_SuperAdmin_can()
    {
        using var superAdmin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var selfId = await UserIdAsync(FileVaultAppFactory.AdminEmail);
        var rolesBefore = await RolesAsync(selfId);
        Assert.Contains(Roles.SuperAdmin, rolesBefore);

        var last = await superAdmin.PutAsJsonAsync($"/api/v1/admin/users/{selfId}/roles", RolesBody(Roles.Admin));

        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
        Assert.Equal("user.last_superadmin", await CodeAsync(last));
        Assert.Equal(rolesBefore, await RolesAsync(selfId));

        var second = await app.CreateUserAsync("second-super@admin-api.test", Roles.SuperAdmin);
        var demoted = await superAdmin.PutAsJsonAsync($"/api/v1/admin/users/{second.Id}/roles", RolesBody(Roles.Admin));

        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        Assert.Equal([Roles.Admin], await RolesAsync(second.Id));
        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, a => a.Action == "user.set_roles" && a.Target == $"user:{second.Id}");
        Assert.DoesNotContain(db.AuditLog, a => a.Action == "user.set_roles" && a.Target == $"user:{selfId}");
    }

    [Fact]
    public async Task Admin_sets_a_users_roles_but_cannot_hand_out_Admin_or_touch_a_SuperAdmin()
    {
        await app.CreateUserAsync("roles-admin@admin-api.test", Roles.Admin);
        var target = await app.CreateUserAsync("roles-target@admin-api.test", Roles.User);
        var superId = await UserIdAsync(FileVaultAppFactory.AdminEmail);
        var superRoles = await RolesAsync(superId);
        using var admin = await app.BearerForAsync("roles-admin@admin-api.test");

        var desk = await admin.PutAsJsonAsync($"/api/v1/admin/users/{target.Id}/roles", RolesBody(Roles.User, Roles.DeskStaff));
        Assert.Equal(HttpStatusCode.OK, desk.StatusCode);
        Assert.Equal([Roles.User, Roles.DeskStaff], await RolesAsync(target.Id));

        var promote = await admin.PutAsJsonAsync($"/api/v1/admin/users/{target.Id}/roles", RolesBody(Roles.Admin));
        Assert.Equal(HttpStatusCode.Forbidden, promote.StatusCode);
        Assert.Equal("auth.forbidden", await CodeAsync(promote));
        var unknown = await admin.PutAsJsonAsync($"/api/v1/admin/users/{target.Id}/roles", RolesBody("Root"));
        Assert.Equal("user.role_unknown", await CodeAsync(unknown));
        Assert.Equal([Roles.User, Roles.DeskStaff], await RolesAsync(target.Id));

        foreach (var attempt in new[]
        {
            await admin.PutAsJsonAsync($"/api/v1/admin/users/{superId}/roles", RolesBody(Roles.User)),
            await admin.PostAsync($"/api/v1/admin/users/{superId}/password", null),
            await admin.PostAsync($"/api/v1/admin/users/{superId}/disable", null),
        })
        {
            Assert.Equal(HttpStatusCode.Forbidden, attempt.StatusCode);
            Assert.Equal("auth.forbidden", await CodeAsync(attempt));
        }

        Assert.Equal(superRoles, await RolesAsync(superId));
        // The SuperAdmin's password is unchanged and the account still enabled.
        await app.TokenAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
    }

    [Fact]
    public async Task Reset_password_returns_the_new_password_once_and_ends_the_old_one_and_its_tokens()
    {
        var user = await app.CreateUserAsync("reset@admin-api.test", Roles.User);
        var before = await app.TokenAsync("reset@admin-api.test", FileVaultAppFactory.UserPassword);
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var reset = await admin.PostAsync($"/api/v1/admin/users/{user.Id}/password", null);

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal("no-store", reset.Headers.CacheControl?.ToString());
        var password = (await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("password").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(password));
        Assert.NotEqual(FileVaultAppFactory.UserPassword, password);
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK,
            (await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "reset@admin-api.test", password })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "reset@admin-api.test", password = FileVaultAppFactory.UserPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.PostAsJsonAsync("/api/v1/auth/token", new { refresh_token = before.GetProperty("refresh_token").GetString() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/admin/users/{Guid.NewGuid()}/password", null)).StatusCode);

        await using var db = app.Database.CreateDbContext();
        var audit = Assert.Single(db.AuditLog.Where(a => a.Action == "user.reset_password" && a.Target == $"user:{user.Id}"));
        Assert.DoesNotContain(password, audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Groups_are_renamed_and_deleted_with_their_grants()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var groupId = (await (await admin.PostAsJsonAsync("/api/v1/admin/groups", new { name = "Rename me" })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/v1/admin/groups", new { name = "Taken name" })).StatusCode);

        var renamed = await admin.PutAsJsonAsync($"/api/v1/admin/groups/{groupId}", new { name = "  Renamed  " });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Renamed", (await renamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        var taken = await admin.PutAsJsonAsync($"/api/v1/admin/groups/{groupId}", new { name = "Taken name" });
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("group.name_taken", await CodeAsync(taken));
        Assert.Equal("group.name_invalid", await CodeAsync(await admin.PutAsJsonAsync($"/api/v1/admin/groups/{groupId}", new { name = " " })));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/api/v1/admin/groups/999999", new { name = "Nobody" })).StatusCode);

        var grant = await admin.PostAsJsonAsync("/api/v1/admin/grants",
            new { rootId = app.RootId, relativePath = "Public", groupId, permissions = "Read", effect = "Allow" });
        Assert.Equal(HttpStatusCode.OK, grant.StatusCode);
        var grantId = (await grant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var deleted = await admin.DeleteAsync($"/api/v1/admin/groups/{groupId}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("Renamed", (await deleted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/admin/groups/{groupId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/admin/groups/{groupId}/members")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/admin/grants/{grantId}")).StatusCode);
        await using var db = app.Database.CreateDbContext();
        Assert.Contains(db.AuditLog, a => a.Action == "group.rename" && a.Target == $"group:{groupId}");
        Assert.Contains(db.AuditLog, a => a.Action == "group.delete" && a.Target == $"group:{groupId}");
    }

    [Fact]
    public async Task Grant_update_changes_what_explain_reports_and_names_the_deciding_grant()
    {
        var user = await app.CreateUserAsync("explain@admin-api.test", Roles.User);
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var created = await admin.PostAsJsonAsync("/api/v1/admin/grants",
            new { rootId = app.RootId, relativePath = "Sales/Secret", userId = user.Id, permissions = "Read", effect = "Allow" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var grantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var explain = $"/api/v1/admin/grants/explain?userId={user.Id}&rootId={app.RootId}&path=Sales/Secret";
        var above = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/grants/explain?userId={user.Id}&rootId={app.RootId}&path=Sales");
        Assert.Equal((false, "NoGrant", (long?)null), Decision(above, "Read"));

        var granted = await admin.GetFromJsonAsync<JsonElement>(explain);
        Assert.Equal((true, "Grant", grantId), Decision(granted, "Read"));
        Assert.Equal((false, "NoGrant", (long?)null), Decision(granted, "Write"));

        var widened = await admin.PutAsJsonAsync($"/api/v1/admin/grants/{grantId}", new { permissions = "Read, Write", effect = "Allow" });
        Assert.Equal(HttpStatusCode.OK, widened.StatusCode);
        Assert.Equal("Read, Write", (await widened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("permissions").GetString());
        Assert.Equal((true, "Grant", grantId), Decision(await admin.GetFromJsonAsync<JsonElement>(explain), "Write"));

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/grants/{grantId}", new { permissions = "Read", effect = "Deny" })).StatusCode);
        var denied = await admin.GetFromJsonAsync<JsonElement>(explain);
        Assert.Equal((false, "Grant", grantId), Decision(denied, "Read"));
        Assert.False(denied.GetProperty("effective").GetProperty("canRead").GetBoolean());

        var invalid = await admin.PutAsJsonAsync($"/api/v1/admin/grants/{grantId}", new { permissions = "None", effect = "Allow" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("grant.permissions_invalid", await CodeAsync(invalid));
        Assert.Equal("grant.not_found", await CodeAsync(await admin.PutAsJsonAsync("/api/v1/admin/grants/999999", new { permissions = "Read", effect = "Allow" })));
        var nobody = await admin.GetAsync($"/api/v1/admin/grants/explain?userId={Guid.NewGuid()}&rootId={app.RootId}&path=Sales");
        Assert.Equal(HttpStatusCode.NotFound, nobody.StatusCode);
        Assert.Equal("user.not_found", await CodeAsync(nobody));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(2, db.AuditLog.Count(a => a.Action == "grant.update" && a.Target == $"grant:{grantId}"));
    }

    [Fact]
    public async Task A_read_only_personal_token_of_a_SuperAdmin_cannot_change_anything()
    {
        var target = await app.CreateUserAsync("pat-target@admin-api.test", Roles.User);
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var pat = await admin.PostAsJsonAsync("/api/v1/me/tokens", new { name = "read-only admin script", scope = "read", expiresInDays = 1 });
        Assert.Equal(HttpStatusCode.OK, pat.StatusCode);
        using var readOnly = app.Bearer((await pat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!);

        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync("/api/v1/admin/users")).StatusCode);
        foreach (var attempt in new[]
        {
            await readOnly.PutAsJsonAsync($"/api/v1/admin/users/{target.Id}/roles", RolesBody(Roles.DeskStaff)),
            await readOnly.PostAsync($"/api/v1/admin/users/{target.Id}/password", null),
            await readOnly.PutAsJsonAsync("/api/v1/admin/grants/1", new { permissions = "Read", effect = "Allow" }),
            await readOnly.DeleteAsync("/api/v1/admin/groups/1"),
            await readOnly.PostAsync($"/api/v1/admin/roots/{app.RootId}/scans/cancel", null),
        })
        {
            Assert.Equal(HttpStatusCode.Forbidden, attempt.StatusCode);
            Assert.Equal("token.scope_insufficient", await CodeAsync(attempt));
        }

        Assert.Equal([Roles.User], await RolesAsync(target.Id));
    }

    [Fact]
    public async Task OpenApi_names_and_summarises_the_new_admin_operations()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var operations = await OperationsAsync(client);

        foreach (var (path, method, name) in new[]
        {
            ("/api/v1/admin/users/{id}/roles", "put", "SetUserRoles"), ("/api/v1/admin/users/{id}/password", "post", "ResetUserPassword"),
            ("/api/v1/admin/groups/{id}", "put", "RenameGroup"), ("/api/v1/admin/groups/{id}", "delete", "DeleteGroup"),
            ("/api/v1/admin/grants/{id}", "put", "UpdateGrant"), ("/api/v1/admin/grants/explain", "get", "ExplainAccess"),
            ("/api/v1/admin/roots/{id}/scans/cancel", "post", "CancelScan"),
        })
        {
            Assert.True(operations.TryGetValue((path, method), out var operation), $"{method} {path} is not in the document");
            Assert.Equal(name, operation.Id);
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{name} has no summary");
        }
    }

    /// <summary>Every operation of /openapi/v1.json by path and method, with its operationId and summary.</summary>
    internal static async Task<Dictionary<(string Path, string Method), (string? Id, string? Summary)>> OperationsAsync(HttpClient client)
    {
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(m => m.Value.ValueKind == JsonValueKind.Object).Select(method => (
                Key: (path.Name, method.Name),
                Id: method.Value.TryGetProperty("operationId", out var id) ? id.GetString() : null,
                Summary: method.Value.TryGetProperty("summary", out var summary) ? summary.GetString() : null)))
            .ToDictionary(o => o.Key, o => (o.Id, o.Summary));
    }

    private static (bool Allowed, string Source, long? GrantId) Decision(JsonElement explanation, string permission)
    {
        var decision = explanation.GetProperty("decisions").EnumerateArray().Single(d => d.GetProperty("permission").GetString() == permission);
        var grant = decision.GetProperty("grant");
        return (decision.GetProperty("allowed").GetBoolean(), decision.GetProperty("source").GetString()!,
            grant.ValueKind == JsonValueKind.Null ? null : grant.GetProperty("id").GetInt64());
    }

    private static object RolesBody(params string[] roles) => new { roles };

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();

    private async Task<Guid> UserIdAsync(string email)
    {
        await using var db = app.Database.CreateDbContext();
        return db.Users.Single(u => u.Email == email).Id;
    }

    private async Task<List<string>> RolesAsync(Guid userId)
    {
        await using var db = app.Database.CreateDbContext();
        return db.UserRoles.Where(ur => ur.UserId == userId).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
            .AsEnumerable().OrderBy(r => Roles.All.ToList().IndexOf(r)).ToList();
    }
}
