using FileVault.Core.Access;
using FileVault.Core.Locks;
using FileVault.Core.Redis;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace FileVault.Core.Cleanup;

/// <summary>What one sweep removed, and what it looked at and kept when that is worth saying (null otherwise).</summary>
public sealed record SweepOutcome(long Removed, long? Kept = null);

/// <summary>A cleanup schedule's work: remove what is past its expiry or retention and say how much went.</summary>
public interface ICleanupSweep
{
    /// <summary>Stable, short: the Redis lease's name, the <c>cleanup_runs</c> row's sweep, the page's label key.</summary>
    string SweepName { get; }

    Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken);
}

/// <summary>One recorded run of a sweep.</summary>
public sealed record CleanupRun(string Sweep, string Host, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long Removed, long? Kept, string? Error);

/// <summary>A sweep's last run and what it removed over the last 24 hours.</summary>
public sealed record CleanupSummary(CleanupRun Last, long Removed24h);

/// <summary>
/// Runs each sweep once across instances and records a <c>cleanup_runs</c> row with what it removed or why it failed.
/// A scheduled firing first claims its occurrence (<see cref="ScheduleOccurrences"/>), so an instance whose tick comes
/// after another has already finished the occurrence does not sweep it again; the sweep itself runs under a Redis lease
/// named after it, so two runs never overlap. With Redis unreachable a sweep is skipped (it can wait for the next
/// schedule) and the skip is recorded.
/// </summary>
public sealed class CleanupRuns(NpgsqlDataSource data, IConnectionMultiplexer redis, RedisKeys keys, ScheduleOccurrences occurrences, TimeProvider time,
    ILogger<CleanupRuns> logger)
{
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromMinutes(2);

    /// <summary>A schedule's firing: the recorded run, or null when another instance has claimed this occurrence or holds the sweep's lease.</summary>
    public async Task<CleanupRun?> RunOnceAsync(ICleanupSweep sweep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        try
        {
            if (!await occurrences.TryClaimAsync($"cleanup:{sweep.SweepName}"))
            {
                logger.LogInformation("Cleanup {Sweep} skipped: another instance runs this occurrence", sweep.SweepName);
                return null;
            }
        }
        catch (RedisException)
        {
            // The lease cannot be taken either: RunAsync records the skip.
        }

        return await RunAsync(sweep, cancellationToken);
    }

    /// <summary>The recorded run, or null when another instance holds the sweep's lease.</summary>
    public async Task<CleanupRun?> RunAsync(ICleanupSweep sweep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var started = time.GetUtcNow();
        RedisLease? lease;
        try
        {
            lease = await RedisLease.TryAcquireAsync(redis, LeaseKey(sweep.SweepName), LeaseTtl);
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Cleanup {Sweep} skipped: Redis is unreachable, so it cannot be run exactly once ({Reason})", sweep.SweepName, ex.Message);
            return await RecordAsync(new CleanupRun(sweep.SweepName, Environment.MachineName, started, time.GetUtcNow(), 0, null, "Skipped: Redis is unreachable."), cancellationToken);
        }

        if (lease is null)
        {
            logger.LogInformation("Cleanup {Sweep} skipped: another instance is running it", sweep.SweepName);
            return null;
        }

        await using (lease)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
            CleanupRun run;
            try
            {
                var outcome = await sweep.SweepAsync(stop.Token);
                run = new CleanupRun(sweep.SweepName, Environment.MachineName, started, time.GetUtcNow(), outcome.Removed, outcome.Kept, null);
                if (outcome.Removed > 0)
                {
                    logger.LogInformation("Cleanup {Sweep} removed {Count}", sweep.SweepName, outcome.Removed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Cleanup {Sweep} failed", sweep.SweepName);
                run = new CleanupRun(sweep.SweepName, Environment.MachineName, started, time.GetUtcNow(), 0, null, ex.Message);
            }

            return await RecordAsync(run, CancellationToken.None);
        }
    }

    /// <summary>Each sweep's newest run with what it removed in the last 24 hours. Admins only.</summary>
    public async Task<Result<IReadOnlyList<CleanupSummary>>> SummaryAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the cleanup schedules.");
        }

        await using var command = data.CreateCommand("""
            SELECT DISTINCT ON (sweep) sweep, host, started_at, finished_at, removed, kept, error,
                   (SELECT coalesce(sum(removed), 0)::bigint FROM cleanup_runs d WHERE d.sweep = r.sweep AND d.started_at >= $1)
            FROM cleanup_runs r
            ORDER BY sweep, started_at DESC, id DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().AddHours(-24) });
        var list = new List<CleanupSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new CleanupSummary(
                new CleanupRun(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6)),
                reader.GetInt64(7)));
        }

        return list;
    }

    internal string LeaseKey(string sweep) => keys.For($"schedule:cleanup:{sweep}");

    private async Task<CleanupRun> RecordAsync(CleanupRun run, CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(
            "INSERT INTO cleanup_runs (sweep, host, started_at, finished_at, removed, kept, error) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        command.Parameters.Add(new NpgsqlParameter { Value = run.Sweep });
        command.Parameters.Add(new NpgsqlParameter { Value = run.Host });
        command.Parameters.Add(new NpgsqlParameter { Value = run.StartedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = run.FinishedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = run.Removed });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)run.Kept ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)run.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return run;
    }
}
