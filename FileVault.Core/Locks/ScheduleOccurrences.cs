using System.Collections.Concurrent;
using System.Globalization;
using FileVault.Core.Redis;
using StackExchange.Redis;

namespace FileVault.Core.Locks;

/// <summary>One firing of a schedule on this instance: the occurrence (its minute, UTC) and whether this instance ran it.</summary>
public sealed record ScheduleFiring(string Schedule, DateTimeOffset Occurrence, bool RanHere);

/// <summary>
/// "Runs once across instances" for schedules. Every instance's scheduler fires the same cron occurrence, each on its
/// own one-second tick; the first to claim the occurrence's key in Redis runs it and the others skip it. The key
/// outlives the run (an hour), so an instance whose tick comes after the winner has already finished does not run
/// the occurrence again, which a lock released at the end of the run would allow.
/// </summary>
public sealed class ScheduleOccurrences(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time)
{
    private const int Kept = 100;
    private static readonly TimeSpan ClaimLifetime = TimeSpan.FromHours(1);

    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly ConcurrentQueue<ScheduleFiring> _recent = new();

    /// <summary>This instance's last firings, oldest first: for the services page and the two-instance tests.</summary>
    public IReadOnlyList<ScheduleFiring> Recent => [.. _recent];

    /// <summary>
    /// True when this instance is the one to run <paramref name="schedule"/>'s current occurrence. Throws
    /// <see cref="RedisException"/> when Redis is unreachable: the caller decides whether to skip or run anyway.
    /// </summary>
    /// <remarks>Schedules are cron expressions, at most one occurrence a minute: the minute names the occurrence.</remarks>
    public async Task<bool> TryClaimAsync(string schedule)
    {
        var now = time.GetUtcNow();
        var occurrence = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var key = keys.For($"schedule:{schedule}:{occurrence.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture)}");
        var claimed = await redis.GetDatabase().StringSetAsync(key, _instance, ClaimLifetime, When.NotExists);
        _recent.Enqueue(new ScheduleFiring(schedule, occurrence, claimed));
        while (_recent.Count > Kept && _recent.TryDequeue(out _))
        {
        }

        return claimed;
    }
}
