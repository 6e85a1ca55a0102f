using System.Diagnostics;
using System.Net;
using FileVault.Tests.Infrastructure;
using SkiaSharp;

namespace FileVault.Tests.Media;

/// <summary>The thumbnail app pointed at a Redis port where nothing listens: a real outage, not a mock.</summary>
public sealed class RedisDownThumbnailFixture : ThumbnailFixture
{
    private static readonly Lazy<int> ClosedPort = new(TestEnvironment.FreeLoopbackPort);

    protected override string RedisConnectionString => $"127.0.0.1:{ClosedPort.Value},abortConnect=false,connectTimeout=500";
}

/// <summary>Redis is only the thumbnails' cache: with it down they are made and served on every request, without waiting for it.</summary>
public sealed class RedisDownThumbnailTests(RedisDownThumbnailFixture app) : IClassFixture<RedisDownThumbnailFixture>
{
    [Fact]
    public async Task Thumbnails_are_made_and_served_uncached_while_redis_is_down()
    {
        using var client = app.Client(app.AdminToken);
        var url = await app.UrlAsync("Photos/wide.jpg", "medium");
        var clock = Stopwatch.StartNew();

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await client.GetAsync(url));
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        using var bitmap = SKBitmap.Decode(await responses[^1].Content.ReadAsByteArrayAsync());
        Assert.Equal((300, 200), (bitmap.Width, bitmap.Height));
        // Each request would wait at least one 2 s Redis timeout if the cache were asked.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"three thumbnails took {clock.Elapsed}");
    }
}
