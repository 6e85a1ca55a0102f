using System.Net;
using System.Net.Http.Json;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Api;

public sealed class TokensPageTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    [Fact]
    public async Task Token_page_needs_sign_in()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var response = await client.GetAsync("/account/tokens");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task Token_page_lists_the_users_own_tokens_in_korean_and_links_the_api_docs()
    {
        await app.CreateUserAsync("page@tokens.test", Roles.User);
        await app.CreateUserAsync("page-other@tokens.test", Roles.User);
        using (var api = await app.BearerForAsync("page@tokens.test"))
        {
            (await api.PostAsJsonAsync("/api/v1/me/tokens", new { name = "backup-script", scope = "read", expiresInDays = 30 })).EnsureSuccessStatusCode();
        }

        using (var other = await app.BearerForAsync("page-other@tokens.test"))
        {
            (await other.PostAsJsonAsync("/api/v1/me/tokens", new { name = "someone-elses", scope = "read", expiresInDays = 30 })).EnsureSuccessStatusCode();
        }

        using var client = app.CreateBrowserLikeClient("ko-KR");
        await FileVaultAppFactory.PostSignInAsync(client, "page@tokens.test", FileVaultAppFactory.UserPassword);

        var html = await client.GetStringAsync("/account/tokens");

        Assert.Contains("id=\"tokens-title\"", html, StringComparison.Ordinal);
        Assert.Contains("API 토큰", html, StringComparison.Ordinal);
        Assert.Contains("backup-script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("someone-elses", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/api/docs\"", html, StringComparison.Ordinal);
    }
}
