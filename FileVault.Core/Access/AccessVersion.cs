using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Core.Access;

/// <summary>
/// A change stamp for grants, group memberships and roles. Evaluators keep a cached answer only while the stamp they
/// read it under is still current. A change bumps the stamp in this process at once and publishes on Redis so the
/// other app instances bump theirs; with Redis down they miss the message, and their cached answers expire after
/// <see cref="AccessEvaluator.MaxCacheAge"/> instead.
/// </summary>
public sealed class AccessVersion
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("filevault:access-changed");

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<AccessVersion> _logger;
    private long _current;

    public AccessVersion(IConnectionMultiplexer redis, ILogger<AccessVersion> logger)
    {
        _redis = redis;
        _logger = logger;
        // The multiplexer re-subscribes after a reconnect; until then the cache age bounds staleness.
        _ = SubscribeAsync();
    }

    public long Current => Interlocked.Read(ref _current);

    /// <summary>Called after a grant, membership or role change is committed.</summary>
    public async Task BumpAsync()
    {
        Interlocked.Increment(ref _current);
        try
        {
            await _redis.GetSubscriber().PublishAsync(Channel, "1");
        }
        catch (RedisException ex)
        {
            _logger.LogWarning(ex, "Could not announce an access change to other instances; their caches expire on their own");
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await _redis.GetSubscriber().SubscribeAsync(Channel, (_, _) => Interlocked.Increment(ref _current));
        }
        catch (RedisException ex)
        {
            _logger.LogWarning(ex, "Could not subscribe to access changes; cached permissions expire on their own");
        }
    }
}
