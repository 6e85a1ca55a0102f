using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace FileVault.Tests.Api;

public sealed class ApiSecurityTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    [Fact]
    public async Task Pages_carry_a_csp_that_allows_only_own_scripts_and_the_nonced_import_map()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync("/account/login");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self' ws: wss:", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        var nonce = System.Text.RegularExpressions.Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"nonce=\"{nonce}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src 'self' 'unsafe-inline'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_api_and_the_docs_page_loads_its_viewer_locally()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var expected in new[]
        {
            "/api/v1/auth/token", "/api/v1/roots", "/api/v1/entries/{id}", "/api/v1/entries/{id}/children", "/api/v1/entries/{id}/description",
            "/api/v1/me/tokens", "/api/v1/admin/users", "/api/v1/admin/users/{id}/disable", "/api/v1/admin/groups", "/api/v1/admin/grants",
            "/api/v1/admin/grants/{id}", "/api/v1/admin/roots", "/api/v1/admin/roots/{id}/scans",
        })
        {
            Assert.Contains(expected, paths);
        }

        Assert.DoesNotContain(paths, p => !p.StartsWith("/api/", StringComparison.Ordinal));
        var docs = await client.GetAsync("/api/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        var html = await docs.Content.ReadAsStringAsync();
        Assert.DoesNotContain("cdn.jsdelivr", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("fonts.scalar.com", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cookie_authenticated_change_needs_the_custom_header_and_same_origin()
    {
        var user = await app.CreateUserAsync("cookie@security.test", Roles.User);
        await app.GrantAsync(user.Id, "Sales", Permission.Read | Permission.Write);
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, "cookie@security.test", FileVaultAppFactory.UserPassword);
        var url = $"/api/v1/entries/{app.Id("Sales/report.txt")}/description";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/entries/{app.Id("Sales/report.txt")}")).StatusCode);

        var bare = await client.PutAsJsonAsync(url, new { description = "csrf" });
        Assert.Equal(HttpStatusCode.Forbidden, bare.StatusCode);
        Assert.Equal("auth.csrf", (await bare.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await Put(client, url, "https://evil.example")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Put(client, url, "http://localhost")).StatusCode);
        // The token endpoint ignores the cookie, so a signed-in browser's script may still ask for tokens.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/token",
            new { email = "cookie@security.test", password = FileVaultAppFactory.UserPassword })).StatusCode);
    }

    [Fact]
    public async Task Unknown_api_path_is_a_problem_with_a_code()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/api/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("api.not_found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    private static Task<HttpResponseMessage> Put(HttpClient client, string url, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(new { description = "same origin" }) };
        request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        request.Headers.Add("Origin", origin);
        return client.SendAsync(request);
    }
}

/// <summary>The app with a sign-in budget of three per e-mail.</summary>
public sealed class TightRateLimitFactory : FileVaultAppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("FileVault:RateLimits:PerEmail", "3");
        builder.UseSetting("FileVault:RateLimits:PerAddress", "1000");
    }
}

public sealed class SignInRateLimitTests(TightRateLimitFactory app) : IClassFixture<TightRateLimitFactory>
{
    [Fact]
    public async Task Token_endpoint_answers_429_with_retry_after_past_the_per_email_budget_in_any_case()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            var attempt = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "flood@limit.test", password = "wrong-" + i });
            Assert.Equal(HttpStatusCode.BadRequest, attempt.StatusCode);
        }

        var limited = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "FLOOD@limit.test", password = "wrong" });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("rate_limited", (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        // Another e-mail still has its budget.
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.PostAsJsonAsync("/api/v1/auth/token", new { email = "other@limit.test", password = "wrong" })).StatusCode);
    }

    [Fact]
    public async Task Sign_in_form_answers_429_past_the_per_email_budget()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();
        for (var i = 0; i < 3; i++)
        {
            await FileVaultAppFactory.PostSignInAsync(client, "form-flood@limit.test", "wrong-" + i);
        }

        var limited = await FileVaultAppFactory.PostSignInAsync(client, "form-flood@limit.test", "wrong");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }
}
