using FileVault.Core.Locks;
using FileVault.Tests.Infrastructure;
using StackExchange.Redis;

namespace FileVault.Tests.Locks;

/// <summary>Against the real Redis: what "run once across instances" rests on.</summary>
public sealed class RedisLeaseTests : IAsyncLifetime
{
    private readonly string _key = "filevault:test:lease:" + Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer _redis = default!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);

    public async Task DisposeAsync()
    {
        await _redis.GetDatabase().KeyDeleteAsync(_key);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_held_lease_cannot_be_taken_until_it_is_released()
    {
        var first = await RedisLease.TryAcquireAsync(_redis, _key, TimeSpan.FromSeconds(30));
        Assert.NotNull(first);

        Assert.Null(await RedisLease.TryAcquireAsync(_redis, _key, TimeSpan.FromSeconds(30)));

        await first.DisposeAsync();
        var second = await RedisLease.TryAcquireAsync(_redis, _key, TimeSpan.FromSeconds(30));
        Assert.NotNull(second);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task A_lease_is_renewed_while_held_beyond_its_time_to_live()
    {
        var ttl = TimeSpan.FromSeconds(2);
        await using var lease = await RedisLease.TryAcquireAsync(_redis, _key, ttl);
        Assert.NotNull(lease);
        var redis = _redis.GetDatabase();

        // Renewals push the expiry back up: seen twice, the key outlives its first time-to-live.
        var renewals = 0;
        var previous = (await redis.KeyTimeToLiveAsync(_key))!.Value;
        await Poll.UntilAsync(async () =>
        {
            var remaining = (await redis.KeyTimeToLiveAsync(_key))!.Value;
            if (remaining > previous)
            {
                renewals++;
            }

            previous = remaining;
            return renewals >= 2;
        }, "two renewals of the lease", TimeSpan.FromSeconds(10));

        Assert.Equal(2, renewals);
        Assert.Null(await RedisLease.TryAcquireAsync(_redis, _key, TimeSpan.FromSeconds(30)));
        Assert.False(lease.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task A_lease_taken_over_by_someone_else_reports_itself_lost_and_is_not_deleted_by_its_old_holder()
    {
        var lease = await RedisLease.TryAcquireAsync(_redis, _key, TimeSpan.FromMilliseconds(600));
        Assert.NotNull(lease);

        // As if the holder paused past the TTL and another instance took the key.
        await _redis.GetDatabase().StringSetAsync(_key, "someone-else");
        var lost = new TaskCompletionSource();
        lease.Lost.Register(() => lost.TrySetResult());
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await lease.DisposeAsync();

        Assert.Equal("someone-else", (string?)await _redis.GetDatabase().StringGetAsync(_key));
    }
}
