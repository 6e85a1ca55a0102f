using System.Net;
using System.Net.WebSockets;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Web;

/// <summary>R-AUTH-8: a page of another site cannot open a Blazor circuit (negotiate or WebSocket) on FileVault.</summary>
public sealed class CircuitOriginTests(KestrelAppFactory app) : IClassFixture<KestrelAppFactory>
{
    [Theory]
    [InlineData("https://evil.example", HttpStatusCode.Forbidden)]
    [InlineData("null", HttpStatusCode.Forbidden)]
    [InlineData("SELF", HttpStatusCode.OK)]
    [InlineData(null, HttpStatusCode.OK)]
    public async Task Negotiate_answers_only_this_sites_pages(string? origin, HttpStatusCode expected)
    {
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "SELF" ? app.BaseAddress.GetLeftPart(UriPartial.Authority) : origin);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_websocket_from_another_origin_is_refused_and_one_from_this_site_connects()
    {
        var url = new UriBuilder(app.BaseAddress) { Scheme = "ws", Path = "/_blazor" }.Uri;

        using var foreign = new ClientWebSocket();
        foreign.Options.SetRequestHeader("Origin", "https://evil.example");
        foreign.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(url, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);

        using var own = new ClientWebSocket();
        own.Options.SetRequestHeader("Origin", app.BaseAddress.GetLeftPart(UriPartial.Authority));
        await own.ConnectAsync(url, CancellationToken.None);
        Assert.Equal(WebSocketState.Open, own.State);
        await own.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }
}
