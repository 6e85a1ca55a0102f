using Coravel.Invocable;
using FileVault.Core.Monitoring;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FileVault.Core.Cleanup;

/// <summary>
/// Deletes rows past a retention in batches of <see cref="BatchSize"/> (one short transaction each, so a year of audit
/// rows never holds one long lock), and counts them.
/// </summary>
internal static class BatchedDelete
{
    public const int BatchSize = 10_000;

    /// <summary><paramref name="sql"/> must delete at most <see cref="BatchSize"/> rows per call, taking the cutoff as $1.</summary>
    public static async Task<long> RunAsync(NpgsqlDataSource data, string sql, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            await using var command = data.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = cutoff });
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < BatchSize)
            {
                return total;
            }
        }
    }
}

/// <summary>
/// Finished jobs (succeeded, failed, cancelled) older than the retention. Queued, running and interrupted jobs are never
/// removed, nor the delete job of an item still in (or on its way into) the trash.
/// </summary>
public sealed class JobRetentionSweep(NpgsqlDataSource data, CleanupRuns runs, IOptions<CleanupOptions> options, TimeProvider time)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "jobs";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    // Status numbers as JobStatus has them: 2 succeeded, 3 failed, 4 cancelled.
    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken) => new(await BatchedDelete.RunAsync(data, $"""
        DELETE FROM jobs WHERE id IN (
            SELECT j.id FROM jobs j
            WHERE j.status IN (2, 3, 4) AND j.finished_at < $1
              AND NOT EXISTS (SELECT 1 FROM trash_items t WHERE t.job_id = j.id)
            LIMIT {BatchedDelete.BatchSize})
        """, time.GetUtcNow() - options.Value.JobRetention, cancellationToken));
}

/// <summary>Audit rows older than the retention (by the (at, id) index).</summary>
public sealed class AuditRetentionSweep(NpgsqlDataSource data, CleanupRuns runs, IOptions<CleanupOptions> options, TimeProvider time)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "audit";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken) => new(await BatchedDelete.RunAsync(data,
        $"DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY at, id LIMIT {BatchedDelete.BatchSize})",
        time.GetUtcNow() - options.Value.AuditRetention, cancellationToken));
}

/// <summary>The dashboard's one-minute history past FileVault:Monitoring:HistoryRetention.</summary>
public sealed class MetricsRetentionSweep(MetricsHistory history, CleanupRuns runs) : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "metrics";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken) => new(await history.RemoveExpiredAsync(cancellationToken));
}

/// <summary>
/// Storage statistics past their retention (each root's newest row stays, however old: it is what the page shows) and
/// the cleanup runs' own rows past theirs.
/// </summary>
public sealed class HistoryRetentionSweep(NpgsqlDataSource data, CleanupRuns runs, IOptions<CleanupOptions> options, TimeProvider time)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "history";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var statistics = await BatchedDelete.RunAsync(data, $"""
            DELETE FROM storage_statistics WHERE id IN (
                SELECT s.id FROM storage_statistics s
                WHERE s.computed_at < $1
                  AND s.id <> (SELECT n.id FROM storage_statistics n WHERE n.root_id = s.root_id ORDER BY n.computed_at DESC, n.id DESC LIMIT 1)
                LIMIT {BatchedDelete.BatchSize})
            """, now - options.Value.StatisticsRetention, cancellationToken);
        var cleanupRuns = await BatchedDelete.RunAsync(data,
            $"DELETE FROM cleanup_runs WHERE id IN (SELECT id FROM cleanup_runs WHERE started_at < $1 LIMIT {BatchedDelete.BatchSize})",
            now - options.Value.RunRetention, cancellationToken);
        return new SweepOutcome(statistics + cleanupRuns);
    }
}
