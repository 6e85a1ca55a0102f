using FileVault.Core.Media;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Media;

/// <summary>The Redis cache's memory cap: thumbnails over it push out the oldest, and only thumbnails.</summary>
public sealed class ThumbnailCacheTests : IAsyncLifetime
{
    private TestDatabase _database = default!;
    private ServiceProvider _services = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _services = CoreServices.Build(_database);
    }

    [Fact]
    public async Task Thumbnails_over_the_cap_drop_the_oldest_first_and_the_total_stays_within_it()
    {
        var cache = _services.GetRequiredService<ThumbnailCache>();
        var keys = Enumerable.Range(1, 5).Select(i => new ThumbnailKey(i, 1000, 1, ThumbnailSize.Small, ThumbnailFormat.Webp)).ToList();

        foreach (var key in keys)
        {
            await cache.SetAsync(key, new byte[1000], TimeSpan.FromMinutes(5), maxBytes: 2500);
        }

        var present = await Task.WhenAll(keys.Select(async k => await cache.GetAsync(k) is not null));
        Assert.Equal([false, false, false, true, true], present);
        Assert.Equal(2000, await cache.StoredBytesAsync());
    }

    [Fact]
    public async Task Storing_the_same_thumbnail_again_counts_it_once()
    {
        var cache = _services.GetRequiredService<ThumbnailCache>();
        var key = new ThumbnailKey(42, 1000, 1, ThumbnailSize.Medium, ThumbnailFormat.Webp);

        await cache.SetAsync(key, new byte[700], TimeSpan.FromMinutes(5), maxBytes: 10_000);
        await cache.SetAsync(key, new byte[900], TimeSpan.FromMinutes(5), maxBytes: 10_000);

        Assert.Equal(900, await cache.StoredBytesAsync());
        Assert.Equal(900, (await cache.GetAsync(key))!.Length);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }
}
