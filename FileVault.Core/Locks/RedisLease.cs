using StackExchange.Redis;

namespace FileVault.Core.Locks;

/// <summary>
/// A Redis key held by one owner with an expiry, renewed while the work runs: "run once across instances" for schedules.
/// Lost when the holder dies (the key expires); released only by its holder (compare-and-delete).
/// </summary>
public sealed class RedisLease : IAsyncDisposable
{
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private const string RenewScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

    private readonly IDatabase _redis;
    private readonly string _token;
    private readonly TimeSpan _ttl;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    private RedisLease(IDatabase redis, string key, string token, TimeSpan ttl)
    {
        _redis = redis;
        Key = key;
        _token = token;
        _ttl = ttl;
        _renewal = RenewAsync();
    }

    public string Key { get; }

    /// <summary>Trips when a renewal finds the lease gone (expired or taken): stop at the next safe point.</summary>
    public CancellationToken Lost => _lost.Token;

    private readonly CancellationTokenSource _lost = new();

    /// <summary>The lease, or null when someone else holds it. Throws <see cref="RedisException"/> when Redis is unreachable.</summary>
    public static async Task<RedisLease?> TryAcquireAsync(IConnectionMultiplexer redis, string key, TimeSpan ttl)
    {
        var token = Guid.NewGuid().ToString("N");
        var database = redis.GetDatabase();
        return await database.StringSetAsync(key, token, ttl, When.NotExists)
            ? new RedisLease(database, key, token, ttl)
            : null;
    }

    private async Task RenewAsync()
    {
        var interval = _ttl / 3;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token);
                var renewed = (long)await _redis.ScriptEvaluateAsync(RenewScript, [Key], [_token, (long)_ttl.TotalMilliseconds]);
                if (renewed == 0)
                {
                    await _lost.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RedisException)
            {
                // Unreachable for now; the key may still be ours until it expires. Try again next interval.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewal;
        try
        {
            await _redis.ScriptEvaluateAsync(ReleaseScript, [Key], [_token]);
        }
        catch (RedisException)
        {
            // It expires on its own.
        }

        _stop.Dispose();
        _lost.Dispose();
    }
}
