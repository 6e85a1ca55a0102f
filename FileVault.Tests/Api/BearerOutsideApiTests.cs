using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Api;

/// <summary>
/// Bearer tokens (JWT access tokens and personal access tokens) open the API only: outside /api/v1 a request that
/// carries one is treated as anonymous, so a read-only token cannot reach the page that mints read-write tokens, run a
/// Blazor circuit or post the browser's ZIP form.
/// </summary>
public sealed class BearerOutsideApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    public static TheoryData<string, string> TokensAndPages => new()
    {
        { "personal-read", "/account/tokens" },
        { "jwt", "/account/tokens" },
        { "personal-read", "/files" },
        { "jwt", "/files" },
        { "personal-read", "/jobs" },
    };

    [Theory]
    [MemberData(nameof(TokensAndPages))]
    public async Task Bearer_token_does_not_open_pages(string kind, string page)
    {
        var token = await TokenAsync(kind);
        using var client = BearerClient(token);

        var response = await client.GetAsync(page);

        AssertSentToSignIn(response);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/roots")).StatusCode);
    }

    [Theory]
    [InlineData("personal-read")]
    [InlineData("jwt")]
    public async Task Bearer_token_does_not_post_the_zip_download_form(string kind)
    {
        var token = await TokenAsync(kind);
        using var client = BearerClient(token);
        var id = app.Id("Sales/report.txt").ToString(CultureInfo.InvariantCulture);
        // What an attacker would do: fetch the folder page for its form's antiforgery token, then post the form.
        var folder = await client.GetAsync($"/files/{app.RootId}/Sales");
        var fields = new List<KeyValuePair<string, string>> { new("ids", id) };
        if (folder.StatusCode == HttpStatusCode.OK)
        {
            fields.Add(new("__RequestVerificationToken", FileVaultAppFactory.ReadAntiforgeryToken(await folder.Content.ReadAsStringAsync())));
        }

        var response = await client.PostAsync("/download/zip", new FormUrlEncodedContent(fields));

        AssertSentToSignIn(folder);
        AssertSentToSignIn(response);
        var api = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { app.Id("Sales/report.txt") } });
        Assert.NotEqual(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Theory]
    [InlineData("personal-read", "/_blazor/negotiate")]
    [InlineData("jwt", "/_blazor/negotiate")]
    [InlineData("personal-read", "/_blazor")]
    [InlineData("jwt", "/_blazor")]
    public async Task Bearer_token_does_not_authenticate_a_blazor_circuit(string kind, string path)
    {
        // A circuit runs as the user its negotiate and WebSocket requests authenticated as; the hub itself lets anonymous
        // callers connect, so the answer to look at is the authentication the app does on those requests.
        var token = await TokenAsync(kind);

        var circuit = await AuthenticateAsync(path, token);
        var api = await AuthenticateAsync("/api/v1/roots", token);

        Assert.False(circuit.Succeeded, $"{kind} authenticated {path}");
        Assert.True(api.Succeeded, $"{kind} did not authenticate the API: {api.Failure?.Message}");
    }

    [Fact]
    public async Task Sign_in_cookie_still_opens_pages_when_a_bearer_header_rides_along()
    {
        await app.CreateUserAsync("cookie-and-bearer@bearer.test", Roles.User);
        using var client = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(client, "cookie-and-bearer@bearer.test", FileVaultAppFactory.UserPassword);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");

        var page = await client.GetAsync("/account/tokens");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        // Under /api/v1 the header decides: a bad token is refused, never topped up by the cookie.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/roots")).StatusCode);
    }

    private static void AssertSentToSignIn(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    private HttpClient BearerClient(string token)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A fresh User with read on Sales and a token of the given kind: "jwt" or "personal-read".</summary>
    private async Task<string> TokenAsync(string kind)
    {
        var email = $"{kind}-{Guid.NewGuid():N}@bearer.test";
        var user = await app.CreateUserAsync(email, Roles.User);
        await app.GrantAsync(user.Id, "Sales", Permission.Read);
        var jwt = (await app.TokenAsync(email, FileVaultAppFactory.UserPassword)).GetProperty("access_token").GetString()!;
        if (kind == "jwt")
        {
            return jwt;
        }

        using var client = app.Bearer(jwt);
        var created = await client.PostAsJsonAsync("/api/v1/me/tokens", new { name = "read-only script", scope = "read", expiresInDays = 30 });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    private async Task<AuthenticateResult> AuthenticateAsync(string path, string token)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = path;
        context.Request.Headers.Authorization = "Bearer " + token;
        return await context.RequestServices.GetRequiredService<IAuthenticationService>().AuthenticateAsync(context, scheme: null);
    }
}
