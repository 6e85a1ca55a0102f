using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Web;

/// <summary>
/// The app on a real socket with nginx's address (127.0.0.1) as its only known proxy and a per-address sign-in budget of
/// three. Clients connect from 127.0.0.1 (the proxy) or from 127.0.0.2 (anyone else, still on this machine).
/// </summary>
public sealed class TrustedProxyAppFactory : KestrelAppFactory
{
    public const int PerAddress = 3;

    public TrustedProxyAppFactory()
    {
        Settings["FileVault:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        Settings["FileVault:RateLimits:PerAddress"] = PerAddress.ToString(CultureInfo.InvariantCulture);
        Settings["FileVault:RateLimits:PerEmail"] = "10000";
    }

    /// <summary>A client whose connections come from <paramref name="localAddress"/>.</summary>
    public HttpClient ClientFrom(string localAddress)
    {
        var local = IPAddress.Parse(localAddress);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseAddress };
    }
}

/// <summary>X-Forwarded-For is believed from the configured proxy only, once; the sign-in limit keys on the real client.</summary>
public sealed class ForwardedHeadersTests(TrustedProxyAppFactory app) : IClassFixture<TrustedProxyAppFactory>
{
    [Fact]
    public async Task Rotating_forwarded_for_from_an_untrusted_address_still_hits_the_per_address_limit()
    {
        using var client = app.ClientFrom("127.0.0.2");

        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= TrustedProxyAppFactory.PerAddress + 1; i++)
        {
            statuses.Add(await SignInAsync(client, $"198.51.100.{i}"));
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(TrustedProxyAppFactory.PerAddress));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task Forwarded_for_from_the_known_proxy_is_the_client_the_limit_keys_on()
    {
        using var proxy = app.ClientFrom("127.0.0.1");

        // Each forwarded client has its own budget...
        for (var i = 1; i <= TrustedProxyAppFactory.PerAddress + 1; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, await SignInAsync(proxy, $"203.0.113.{i}"));
        }

        // ...and one forwarded client spends its own.
        for (var i = 0; i < TrustedProxyAppFactory.PerAddress; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, await SignInAsync(proxy, "203.0.113.200"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync(proxy, "203.0.113.200"));
    }

    [Fact]
    public async Task Forwarded_for_is_applied_once_so_addresses_a_client_wrote_before_the_proxy_count_for_nothing()
    {
        using var proxy = app.ClientFrom("127.0.0.1");

        // The proxy appends the address it saw to whatever the client sent. Here that address is the proxy's own
        // (someone on its machine), so a second pass would believe the entry before it, which the client wrote.
        var statuses = new List<HttpStatusCode>();
        for (var i = 1; i <= TrustedProxyAppFactory.PerAddress + 1; i++)
        {
            statuses.Add(await SignInAsync(proxy, $"198.18.0.{i}, 127.0.0.1"));
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(TrustedProxyAppFactory.PerAddress));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    private static async Task<HttpStatusCode> SignInAsync(HttpClient client, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/token")
        {
            Content = JsonContent.Create(new { email = $"{Guid.NewGuid():N}@proxy.test", password = "wrong" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return (await client.SendAsync(request)).StatusCode;
    }
}
