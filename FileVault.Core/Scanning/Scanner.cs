using System.Diagnostics;
using System.Threading.Channels;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FileVault.Core.Scanning;

/// <summary>
/// Brings one root's catalog in line with its disk: checks the mount, walks, stages, checks the mount again, merges.
/// One scan per root at a time, across instances (a PostgreSQL advisory lock held by the scan's own connection, so a
/// killed process releases it).
/// </summary>
public sealed class Scanner(
    IDbContextFactory<FileVaultDbContext> contexts,
    NpgsqlDataSource dataSource,
    ScanMonitor monitor,
    ContentListeners content,
    IOptions<ScannerOptions> options,
    TimeProvider time,
    ILogger<Scanner> logger)
{
    // "FVSC" — namespace of the per-root advisory locks.
    private const int ScanLockNamespace = 0x46565343;

    /// <summary>Seconds per merge statement of the last scan in this process, for the benchmark's "where does the time go".</summary>
    public IReadOnlyList<(string Step, double Seconds)> LastMergeSteps { get; private set; } = [];

    public async Task<ScanRun> RunAsync(int rootId, ScanKind kind, string triggeredBy, CancellationToken cancellationToken)
    {
        StorageRoot root;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == rootId, cancellationToken);
            if (kind == ScanKind.Incremental && root.LastCompletedScanId is null)
            {
                // Nothing to compare with yet: the first scan of a root is always full.
                kind = ScanKind.Full;
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Each statement planned for its own values, as before statements were prepared automatically: a generic plan
        // (made without them, which PostgreSQL may switch a prepared statement to after five runs) made the merge of a
        // million-entry scan slower (bench/scan.sh: a no-change incremental scan 2.75 s -> 3.86 s). The pool's reset
        // undoes it when the connection goes back.
        await using (var custom = new NpgsqlCommand("SET plan_cache_mode = force_custom_plan", connection))
        {
            await custom.ExecuteNonQueryAsync(cancellationToken);
        }

        var run = await StartRunAsync(root, kind, triggeredBy, cancellationToken);
        if (!await TryLockRootAsync(connection, rootId, cancellationToken))
        {
            return await FinishAsync(run, ScanStatus.Skipped, "Another scan of this root is running.", null, CancellationToken.None);
        }

        var (progress, token) = monitor.Started(run, cancellationToken);
        cancellationToken = token;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var before = await MountHealth.CheckAsync(root, options.Value.HealthCheckTimeout, cancellationToken);
            if (!before.IsHealthy)
            {
                return await AbortUnhealthyAsync(run, root, before, "before", progress);
            }

            var (walker, staged) = await WalkAndStageAsync(connection, root, kind, progress, cancellationToken);

            var after = await MountHealth.CheckAsync(root, options.Value.HealthCheckTimeout, cancellationToken);
            if (!after.IsHealthy)
            {
                return await AbortUnhealthyAsync(run, root, after, "after", progress);
            }

            run.WalkSeconds = stopwatch.Elapsed.TotalSeconds;
            progress.Phase = "merging";
            await CatalogMerge.CopyPathsAsync(connection, "scan_listed", walker.Listed, cancellationToken);
            await CatalogMerge.CopyPathsAsync(connection, "scan_unknown", walker.Unknown, cancellationToken);
            var outcome = await CatalogMerge.MergeAsync(connection, root.Id, run.Id, kind, staged, options.Value.MaxMissingFraction, cancellationToken);

            run.Seen = outcome.Seen;
            run.Added = outcome.Added;
            run.Updated = outcome.Updated;
            run.Renamed = outcome.Renamed;
            run.Missing = outcome.Missing;
            run.HeldMissing = outcome.HeldMissing;
            run.Errors = progress.Errors;
            run.EntriesPerSecond = outcome.Seen / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001);
            run.MergeSeconds = stopwatch.Elapsed.TotalSeconds - run.WalkSeconds;
            LastMergeSteps = outcome.Steps;
            var held = outcome.HeldMissing > 0;
            var message = held
                ? $"{outcome.HeldMissing} entries would be marked missing, more than {options.Value.MaxMissingFraction:P0} of the root; confirm to mark them."
                : null;
            await SaveErrorsAsync(run.Id, walker.Errors, CancellationToken.None);
            run = await FinishAsync(run, held ? ScanStatus.AwaitingConfirmation : ScanStatus.Completed, message, root, CancellationToken.None);
            if (outcome.Added + outcome.Updated > 0)
            {
                // New and changed files get their thumbnails and EXIF ahead of a visit.
                await content.ScanMergedAsync(run.Id, CancellationToken.None);
            }

            // After FinishAsync, so the run's own timings leave this out (storage statistics, Monitoring).
            await content.ScanCompletedAsync(root.Id, run.Id, CancellationToken.None);
            logger.LogInformation(
                "Scanned {Kind} {Root}: {Seen} seen, {Added} added, {Updated} updated, {Renamed} renamed, {Missing} missing, {Held} held, {Errors} errors in {Seconds:F1} s",
                kind, root.Name, run.Seen, run.Added, run.Updated, run.Renamed, run.Missing, run.HeldMissing, run.Errors, stopwatch.Elapsed.TotalSeconds);
            return run;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            run.Seen = progress.Seen;
            run.Errors = progress.Errors;
            logger.LogInformation("Scan {ScanId} of {Root} cancelled; the catalog is unchanged", run.Id, root.Name);
            return await FinishAsync(run, ScanStatus.Cancelled, "Cancelled; the catalog is unchanged.", null, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Scan {ScanId} of {Root} failed; the catalog is unchanged", run.Id, root.Name);
            return await FinishAsync(run, ScanStatus.Failed, "Failed: " + ex.Message, null, CancellationToken.None);
        }
        finally
        {
            monitor.Finished(run);
        }
    }

    /// <summary>Walks the root while COPY streams what the walk finds into the staging table.</summary>
    private async Task<(TreeWalker Walker, long Staged)> WalkAndStageAsync(
        NpgsqlConnection connection, StorageRoot root, ScanKind kind, ScanProgress progress, CancellationToken cancellationToken)
    {
        var known = kind == ScanKind.Incremental ? await LoadKnownDirectoriesAsync(root.Id, cancellationToken) : null;
        await CatalogMerge.CreateStagingAsync(connection, cancellationToken);
        var channel = Channel.CreateBounded<ScannedEntry>(new BoundedChannelOptions(10_000) { SingleReader = true });
        var walker = new TreeWalker(root.Path, options.Value.Parallelism, known, channel.Writer, progress);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var copy = CatalogMerge.CopyAsync(connection, channel.Reader, linked.Token);
        try
        {
            await walker.RunAsync(linked.Token);
            channel.Writer.Complete();
        }
        catch (Exception ex)
        {
            channel.Writer.TryComplete(ex);
            await linked.CancelAsync();
            await Task.WhenAny(copy);
            throw;
        }

        return (walker, await copy);
    }

    /// <summary>The catalog's folders with their mtimes and child folders, for an incremental walk.</summary>
    private async Task<Dictionary<string, KnownDirectory>> LoadKnownDirectoriesAsync(int rootId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folders = await db.Entries.AsNoTracking()
            .Where(e => e.RootId == rootId && e.Kind == EntryKind.Directory && e.State == EntryState.Active)
            .Select(e => new { e.RelativePath, e.ModifiedAt, e.NameIsValid })
            .ToListAsync(cancellationToken);
        var known = folders.ToDictionary(
            f => f.RelativePath,
            f => new KnownDirectory(f.ModifiedAt.UtcTicks, [], ChildrenAddressable: true),
            StringComparer.Ordinal);
        foreach (var folder in folders.Where(f => f.RelativePath.Length > 0))
        {
            var slash = folder.RelativePath.LastIndexOf('/');
            var parent = slash < 0 ? "" : folder.RelativePath[..slash];
            if (!known.TryGetValue(parent, out var parentFolder))
            {
                continue;
            }

            if (folder.NameIsValid)
            {
                parentFolder.ChildDirectories.Add(folder.RelativePath[(slash + 1)..]);
            }
            else
            {
                known[parent] = parentFolder with { ChildrenAddressable = false };
            }
        }

        return known;
    }

    private async Task<ScanRun> StartRunAsync(StorageRoot root, ScanKind kind, string triggeredBy, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = new ScanRun { RootId = root.Id, Kind = kind, Status = ScanStatus.Running, TriggeredBy = triggeredBy, StartedAt = time.GetUtcNow() };
        db.ScanRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        return run;
    }

    private async Task<ScanRun> AbortUnhealthyAsync(ScanRun run, StorageRoot root, RootHealthReport report, string when, ScanProgress progress)
    {
        logger.LogWarning("Scan {ScanId} of {Root} aborted: root unhealthy {When} the walk: {Problem}", run.Id, root.Name, when, report.Problem);
        await using (var db = await contexts.CreateDbContextAsync(CancellationToken.None))
        {
            await db.StorageRoots.Where(r => r.Id == root.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Health, RootHealth.Unhealthy)
                .SetProperty(r => r.HealthMessage, report.Problem!.Message)
                .SetProperty(r => r.HealthCheckedAt, time.GetUtcNow())
                .SetProperty(r => r.AlertOpen, true));
        }

        run.Seen = progress.Seen;
        return await FinishAsync(run, ScanStatus.AbortedUnhealthy,
            $"The root was unhealthy {when} the walk ({report.Problem!.Code}): nothing was changed in the catalog. {report.Problem.Message}",
            null, CancellationToken.None);
    }

    private async Task<ScanRun> FinishAsync(ScanRun run, ScanStatus status, string? message, StorageRoot? mergedRoot, CancellationToken cancellationToken)
    {
        run.Status = status;
        run.Message = message;
        run.FinishedAt = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ScanRuns.Update(run);
        await db.SaveChangesAsync(cancellationToken);
        if (mergedRoot is not null)
        {
            var awaiting = status == ScanStatus.AwaitingConfirmation;
            await db.StorageRoots.Where(r => r.Id == mergedRoot.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.LastCompletedScanId, run.Id)
                .SetProperty(r => r.Health, RootHealth.Healthy)
                .SetProperty(r => r.HealthCheckedAt, run.FinishedAt)
                .SetProperty(r => r.HealthMessage, awaiting ? message : null)
                .SetProperty(r => r.AlertOpen, awaiting), cancellationToken);
        }

        return run;
    }

    private async Task SaveErrorsAsync(long runId, IEnumerable<WalkError> errors, CancellationToken cancellationToken)
    {
        var stored = errors.Take(options.Value.MaxStoredErrors)
            .Select(e => new ScanError { ScanRunId = runId, RelativePath = e.RelativePath, Code = e.Code, Message = e.Message })
            .ToList();
        if (stored.Count == 0)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ScanErrors.AddRange(stored);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<bool> TryLockRootAsync(NpgsqlConnection connection, int rootId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@ns, @root)", connection);
        command.Parameters.AddWithValue("ns", ScanLockNamespace);
        command.Parameters.AddWithValue("root", rootId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
