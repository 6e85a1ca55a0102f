using System.Diagnostics;
using FileVault.Core.Locks;
using FileVault.Core.Redis;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using StackExchange.Redis;

namespace FileVault.Tests.Locks;

/// <summary>Hierarchical path locks against the real Redis (R-OP-4, R-OP-5, R-DEG-1).</summary>
public sealed class ResourceLocksTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private ConnectionMultiplexer _redis = default!;
    private ResourceLocks _locks = default!;
    private FakeTimeProvider _time = default!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // A scope of its own per test instance: no other test's locks are visible.
        var scope = new NpgsqlDataSourceBuilder($"Host=locks-test;Port=1;Database={Guid.NewGuid():N}").Build();
        _locks = new ResourceLocks(_redis, new RedisKeys(scope), _time);
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Theory]
    [InlineData("a/b", "a", false)]
    [InlineData("a/b", "a/b", false)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("a/b", "", false)]
    [InlineData("a/b", "a/c", true)]
    [InlineData("a/b", "a/bc", true)]
    [InlineData("a/b", "b", true)]
    [InlineData("영업부/2024", "영업부/2024/회의록.txt", false)]
    [InlineData("Sales", "Sales-Confidential", true)]
    public async Task A_held_path_conflicts_with_its_ancestors_and_descendants_only(string held, string requested, bool granted)
    {
        await using var first = (await AcquireAsync(held, "move", "kim@corp")).Value;

        var second = await AcquireAsync(requested, "rename", "lee@corp");

        Assert.Equal(granted, second.IsSuccess);
        if (granted)
        {
            await second.Value.DisposeAsync();
        }
        else
        {
            Assert.Equal("lock.conflict", second.Error!.Code);
            Assert.Contains("move of kim@corp", second.Error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_same_path_on_another_root_does_not_conflict()
    {
        await using var first = (await AcquireAsync("a", "copy", "kim")).Value;

        var other = await _locks.AcquireAsync(new LockRequest(2, ["a"], "copy", "lee"), Ttl, CancellationToken.None);

        Assert.True(other.IsSuccess);
        await other.Value.DisposeAsync();
    }

    [Fact]
    public async Task All_paths_of_an_operation_are_taken_or_none_is()
    {
        await using var held = (await AcquireAsync("x/y", "delete", "kim")).Value;

        var move = await _locks.AcquireAsync(new LockRequest(1, ["free/one", "x/y/z"], "move", "lee"), Ttl, CancellationToken.None);

        Assert.False(move.IsSuccess);
        var free = await AcquireAsync("free/one", "rename", "park");
        Assert.True(free.IsSuccess, "A refused multi-path request must not leave any of its paths locked.");
        await free.Value.DisposeAsync();
    }

    [Fact]
    public async Task Releasing_frees_the_path_and_its_ancestors()
    {
        var lease = (await AcquireAsync("a/b/c", "upload", "kim")).Value;
        await lease.DisposeAsync();

        var ancestor = await AcquireAsync("a", "move", "lee");

        Assert.True(ancestor.IsSuccess);
        await ancestor.Value.DisposeAsync();
    }

    [Fact]
    public async Task An_unrenewed_lease_expires_and_fencing_tokens_grow()
    {
        var stale = (await AcquireAsync("docs/report.pdf", "copy", "kim", TimeSpan.FromMilliseconds(300))).Value;
        await WaitUntilExpiredAsync(stale.ToHeld());
        _time.Advance(TimeSpan.FromSeconds(1));

        var next = await AcquireAsync("docs", "move", "lee");

        Assert.True(next.IsSuccess, next.Error?.ToString());
        Assert.True(next.Value.FencingToken > stale.FencingToken);
        Assert.False(await stale.RenewAsync());
        await next.Value.DisposeAsync();
    }

    [Fact]
    public async Task Renewing_keeps_a_lease_past_its_first_expiry()
    {
        await using var lease = (await AcquireAsync("keep/me", "compress", "kim", TimeSpan.FromMilliseconds(800))).Value;
        for (var i = 0; i < 4; i++)
        {
            // Redis counts the lease's time on its own clock: wait until 300 ms of it have gone, then renew.
            await WaitUntilTimeToLiveBelowAsync(lease.ToHeld(), TimeSpan.FromMilliseconds(500));
            _time.Advance(TimeSpan.FromMilliseconds(300));
            Assert.True(await lease.RenewAsync());
        }

        Assert.False((await AcquireAsync("keep", "move", "lee")).IsSuccess);
    }

    [Fact]
    public async Task A_job_retaking_an_expired_lease_keeps_its_token_so_a_retake_cut_short_is_still_its_own()
    {
        var stored = (await AcquireAsync("원본", "copy", "kim", TimeSpan.FromMilliseconds(300))).Value.ToHeld();
        await WaitUntilExpiredAsync(stored);
        _time.Advance(TimeSpan.FromSeconds(1));

        // A process retakes the expired lease and is killed before it records the result; the next one retakes it again.
        var cutShort = await _locks.ResumeAsync(stored, Ttl, CancellationToken.None);
        var again = await _locks.ResumeAsync(stored, Ttl, CancellationToken.None);

        Assert.True(cutShort.IsSuccess, cutShort.Error?.ToString());
        Assert.True(again.IsSuccess, again.Error?.ToString());
        Assert.Equal("lock.conflict", (await AcquireAsync("원본/a", "move", "lee")).Error?.Code);
        await again.Value.DisposeAsync();
    }

    [Fact]
    public async Task Resuming_an_expired_lease_whose_paths_someone_else_took_is_a_conflict()
    {
        var stored = (await AcquireAsync("docs", "move", "kim", TimeSpan.FromMilliseconds(300))).Value.ToHeld();
        await WaitUntilExpiredAsync(stored);
        _time.Advance(TimeSpan.FromSeconds(1));
        await using var taken = (await AcquireAsync("docs/a", "rename", "lee")).Value;

        var resumed = await _locks.ResumeAsync(stored, Ttl, CancellationToken.None);

        Assert.Equal("lock.conflict", resumed.Error?.Code);
        Assert.Contains("rename of lee", resumed.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_many_concurrent_requests_for_overlapping_paths_exactly_one_wins()
    {
        string[] paths = ["p", "p/q", "p/q/r", "p/q/s", "p/q/r/t"];
        var attempts = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => AcquireAsync(paths[i % paths.Length], "op" + i, "user" + i)));

        Assert.Single(attempts, a => a.IsSuccess);
        Assert.All(attempts.Where(a => !a.IsSuccess), a => Assert.Equal("lock.conflict", a.Error!.Code));
        await attempts.Single(a => a.IsSuccess).Value.DisposeAsync();
    }

    [Fact]
    public async Task With_redis_unreachable_acquiring_fails_fast_with_a_clear_code()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{TestEnvironment.FreeLoopbackPort()}");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 500;
        options.AsyncTimeout = 2000;
        options.SyncTimeout = 2000;
        await using var down = await ConnectionMultiplexer.ConnectAsync(options);
        var locks = new ResourceLocks(down, new RedisKeys(new NpgsqlDataSourceBuilder("Host=x;Database=y").Build()), _time);
        var clock = Stopwatch.StartNew();

        var result = await locks.AcquireAsync(new LockRequest(1, ["a"], "move", "kim"), Ttl, CancellationToken.None);

        Assert.Equal("lock.unavailable", result.Error?.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    private Task<FileVault.Core.Result<ResourceLease>> AcquireAsync(string path, string operation, string user, TimeSpan? ttl = null) =>
        _locks.AcquireAsync(new LockRequest(1, [path], operation, user), ttl ?? Ttl, CancellationToken.None);

    /// <summary>
    /// Waits until Redis has let the lease's keys expire: expiry runs on Redis's own clock, which the fake time provider
    /// does not move. Polls for the condition (at most 5 s) rather than sleeping for a guessed time.
    /// </summary>
    private async Task WaitUntilTimeToLiveBelowAsync(HeldLocks held, TimeSpan below)
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var database = _redis.GetDatabase();
        await Poll.UntilAsync(async () =>
        {
            await foreach (var key in server.KeysAsync(pattern: $"*owner:{held.Token}"))
            {
                return await database.KeyTimeToLiveAsync(key) is { } left && left < below;
            }

            return false;
        }, $"the lease {held.Token} to have less than {below.TotalMilliseconds} ms left in Redis", TimeSpan.FromSeconds(5));
    }

    private async Task WaitUntilExpiredAsync(HeldLocks held)
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        await Poll.UntilAsync(async () =>
        {
            await foreach (var _ in server.KeysAsync(pattern: $"*owner:{held.Token}"))
            {
                return false;
            }

            return true;
        }, $"Redis to expire the lease {held.Token}", TimeSpan.FromSeconds(5));
    }
}
