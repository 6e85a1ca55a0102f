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

    public async Task SetAsync(ThumbnailKey key, byte[] thumbnail, TimeSpan ttl)
    {
        if (!Available)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().StringSetAsync(keys.For(key.Name), thumbnail, ttl);
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

    private void PauseAfter(Exception ex)
    {
        var until = time.GetUtcNow().Add(Pause).UtcTicks;
        if (Interlocked.Exchange(ref _pausedUntil, until) < time.GetUtcNow().UtcTicks)
        {
            logger.LogWarning("Thumbnails are made without the Redis cache for {Pause}: {Reason}", Pause, ex.Message);
        }
    }
}
