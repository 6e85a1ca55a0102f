using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Duplicates;

/// <summary>The last duplicate search: its job's state and, once it ended, what it did.</summary>
public sealed record DuplicateScanStatus(long JobId, JobStatus Status, double Progress, string? ProgressText, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Summary);

/// <summary>Starting a duplicate search (admins only) as a job of the dedup queue, and asking how the last one went.</summary>
public sealed class DuplicateScans(JobLedger ledger, JobEvents events, IDbContextFactory<FileVaultDbContext> contexts)
{
    public const string JobType = "dedup";

    internal static Error Forbidden { get; } = new("auth.forbidden", "Only administrators may search for duplicates.");

    /// <summary>Queues a search; while one is queued or running, answers with that one instead of a second.</summary>
    public async Task<Result<long>> RequestAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return Forbidden;
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var pending = await db.Jobs.AsNoTracking()
                .Where(j => j.Type == JobType && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running || j.Status == JobStatus.Interrupted))
                .OrderBy(j => j.Id).Select(j => (long?)j.Id).FirstOrDefaultAsync(cancellationToken);
            if (pending is { } id)
            {
                return id;
            }
        }

        var queued = await ledger.EnqueueAsync(actor.UserId, new NewJob(JobType, JobQueues.Dedup, "{}"), cancellationToken);
        if (queued.IsSuccess)
        {
            await events.NotifyQueuedAsync();
        }

        return queued;
    }

    /// <summary>The newest duplicate search, or null when none ran.</summary>
    public async Task<Result<DuplicateScanStatus?>> LastAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return Forbidden;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.Type == JobType).OrderByDescending(j => j.Id)
            .Select(j => new DuplicateScanStatus(j.Id, j.Status, j.Progress, j.ProgressText, j.Error, j.CreatedAt, j.FinishedAt, j.Summary))
            .FirstOrDefaultAsync(cancellationToken);
    }
}

/// <summary>
/// Runs a duplicate search. It changes no file, so it takes no path locks; its owner must still be an enabled
/// administrator when it starts and before every batch, or it stops there.
/// </summary>
internal sealed class DuplicateScanJobHandler(DuplicateFinder finder) : IJobHandler
{
    public string Type => DuplicateScans.JobType;

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var result = await finder.RunAsync(async progress =>
        {
            var denied = await run.AuthorizeAsync(owner => Task.FromResult(owner.IsAdministrator ? null : DuplicateScans.Forbidden));
            if (denied is not null)
            {
                return denied;
            }

            // Counts only: the text is shown as it is on pages in either language (the phase is in the log).
            await run.ReportAsync(progress.Done, progress.Total, $"{progress.Done}/{progress.Total}", force: progress.Phase == "done");
            return null;
        }, run.Stopping);
        return result.IsSuccess
            ? JobOutcome.Succeeded(result.Value)
            : JobOutcome.Failed($"Stopped: {result.Error!.Message}");
    }
}
