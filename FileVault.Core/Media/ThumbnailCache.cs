using FileVault.Core.Locks;
using FileVault.Core.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Core.Media;

/// <summary>
/// Thumbnails in Redis, and the short lease that lets one instance make a missing one while the others wait for it.
/// Redis is only a cache here: while it is disconnected nothing is asked of it, and after a failed call it is left alone
/// for <see cref="Pause"/>, so a Redis that is down or hung costs a request nothing and never one timeout per request.
/// </summary>
public sealed class ThumbnailCache(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, ILogger<ThumbnailCache> logger)
{
    /// <summary>How long the cache is skipped after a Redis call failed.</summary>
    public static readonly TimeSpan Pause = TimeSpan.FromSeconds(10);

    private long _pausedUntil;

    /// <summary>The outcome of asking for the right to make a thumbnail.</summary>
    public enum LeaseOutcome
    {
        /// <summary>This instance makes it (it holds the lease).</summary>
        Held,
        /// <summary>Another instance is making it right now.</summary>
        Busy,
        /// <summary>Redis cannot say: make it without the cache.</summary>
        NoRedis,
    }

    /// <summary>Whether Redis is asked at all right now (connected, and not paused after a failure).</summary>
    public bool IsAvailable => Available;

    private bool Available => redis.IsConnected && time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _pausedUntil);

    /// <summary>The cached thumbnail, or null on a miss or while Redis is unavailable.</summary>
    public async Task<byte[]?> GetAsync(ThumbnailKey key)
    {
        if (!Available)
        {
            return null;
        }

        try
        {
            var value = await redis.GetDatabase().StringGetAsync(keys.For(key.Name));
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            PauseAfter(ex);
            return null;
        }
    }

    /// <summary>
    /// Stores the thumbnail for <paramref name="ttl"/>, and keeps the thumbnails' total within <paramref name="maxBytes"/>:
    /// one script records each one's size in a hash and its time in a sorted set, and drops the oldest while the total
    /// is over. Only thumbnail keys are ever dropped (Redis's own eviction would not know a thumbnail from a lock).
    /// </summary>
    public async Task SetAsync(ThumbnailKey key, byte[] thumbnail, TimeSpan ttl, long maxBytes)
    {
        if (!Available)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(StoreWithinCap,
                [keys.For(key.Name), keys.For("thumb-index"), keys.For("thumb-sizes"), keys.For("thumb-bytes")],
                [thumbnail, (long)ttl.TotalMilliseconds, time.GetUtcNow().ToUnixTimeMilliseconds(), maxBytes]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            PauseAfter(ex);
        }
    }

    /// <summary>Asks for the right to make <paramref name="key"/>'s thumbnail; with <see cref="LeaseOutcome.Held"/>, dispose the lease when done.</summary>
    public async Task<(LeaseOutcome Outcome, RedisLease? Lease)> TryLeaseAsync(ThumbnailKey key, TimeSpan ttl)
    {
        if (!Available)
        {
            return (LeaseOutcome.NoRedis, null);
        }

        try
        {
            var lease = await RedisLease.TryAcquireAsync(redis, keys.For(key.Name + ":making"), ttl);
            return lease is null ? (LeaseOutcome.Busy, null) : (LeaseOutcome.Held, lease);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            PauseAfter(ex);
            return (LeaseOutcome.NoRedis, null);
        }
    }

    private const string StoreWithinCap = """
        local key, index, sizes, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local length = string.len(ARGV[1])
        local previous = tonumber(redis.call('HGET', sizes, key) or '0')
        redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
        redis.call('HSET', sizes, key, length)
        redis.call('ZADD', index, ARGV[3], key)
        local sum = redis.call('INCRBY', total, length - previous)
        local cap = tonumber(ARGV[4])
        while sum > cap do
            local oldest = redis.call('ZPOPMIN', index)
            if #oldest == 0 then break end
            local size = tonumber(redis.call('HGET', sizes, oldest[1]) or '0')
            redis.call('HDEL', sizes, oldest[1])
            redis.call('DEL', oldest[1])
            sum = redis.call('DECRBY', total, size)
        end
        return sum
        """;

    /// <summary>The bytes of thumbnails FileVault counts as stored in Redis (at most <see cref="MediaOptions.CacheMaxBytes"/>).</summary>
    public async Task<long> StoredBytesAsync() => (long?)await redis.GetDatabase().StringGetAsync(keys.For("thumb-bytes")) ?? 0;

    private void PauseAfter(Exception ex)
    {
        var until = time.GetUtcNow().Add(Pause).UtcTicks;
        if (Interlocked.Exchange(ref _pausedUntil, until) < time.GetUtcNow().UtcTicks)
        {
            logger.LogWarning("Thumbnails are made without the Redis cache for {Pause}: {Reason}", Pause, ex.Message);
        }
    }
}
