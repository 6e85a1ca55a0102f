using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using FileVault.Core.Catalog;

namespace FileVault.Core.Trash;

/// <summary>Items before <see cref="Next"/> are finished: done, or failed with a reason.</summary>
internal sealed class TrashCheckpoint
{
    public int Next { get; set; }

    public int Done { get; set; }

    public Dictionary<int, string> Failures { get; set; } = [];
}

/// <summary>What a finished trash job did, for its owner.</summary>
public sealed record TrashSummary(int Done, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failures);

/// <summary>
/// The shared loop of the trash jobs: one resumable step per item, failures collected, progress by item. Before each
/// item the owner's current access is asked again; a revoked grant or a disabled account stops the job there.
/// </summary>
internal abstract class TrashJobHandler<TPayload>(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time) : IJobHandler
{
    public abstract string Type { get; }

    /// <summary>The audit action of one step ("entry.trash", …); a failed step is recorded under it as failed.</summary>
    protected abstract string AuditAction { get; }

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var payload = run.Payload<TPayload>();
        var (rootId, count, skipped) = Describe(payload);
        StorageRoot root;
        await using (var db = await contexts.CreateDbContextAsync(run.Stopping))
        {
            root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == rootId, run.Stopping);
        }

        if (!(await MountHealth.CheckAsync(root, MountHealth.DefaultTimeout, run.Stopping)).IsHealthy)
        {
            return JobOutcome.Failed("The storage is not available; nothing more was changed. Retry when it is back.");
        }

        // A step whose checkpoint was not saved before a crash runs again: each step finds its own earlier work.
        var checkpoint = run.Checkpoint<TrashCheckpoint>() ?? new TrashCheckpoint();
        for (var i = checkpoint.Next; i < count; i++)
        {
            run.Stopping.ThrowIfCancellationRequested();
            await run.ReportAsync(i, count, null);
            var index = i;
            var denied = await run.AuthorizeAsync(owner => CheckAccessAsync(owner, root, payload, index, run.Stopping));
            if (denied is not null)
            {
                return JobOutcome.Failed($"Stopped: {denied.Message} Nothing more was changed.", Summarize(checkpoint, skipped));
            }

            var result = await StepAsync(run, root, payload, i);
            if (result.IsSuccess)
            {
                checkpoint.Done++;
            }
            else
            {
                checkpoint.Failures[i] = result.Error!.Message;
                await AuditFailureAsync(run, root, await TargetOfAsync(payload, i, run.Stopping), result.Error);
            }

            checkpoint.Next = i + 1;
            await run.SaveCheckpointAsync(checkpoint, CancellationToken.None);
        }

        await run.ReportAsync(count, count, null, force: true);
        var summary = Summarize(checkpoint, skipped);
        var failures = summary.Failures;
        return failures.Count == 0 ? JobOutcome.Succeeded(summary) : JobOutcome.Failed(string.Join("; ", failures.Take(5)), summary);
    }

    protected abstract (int RootId, int Count, IReadOnlyList<string> Skipped) Describe(TPayload payload);

    private static TrashSummary Summarize(TrashCheckpoint checkpoint, IReadOnlyList<string> skipped) =>
        new(checkpoint.Done, skipped, checkpoint.Failures.OrderBy(f => f.Key).Select(f => f.Value).ToList());

    /// <summary>The path, relative to the root, that step <paramref name="index"/> was about.</summary>
    protected abstract Task<string> TargetOfAsync(TPayload payload, int index, CancellationToken cancellationToken);

    protected IDbContextFactory<FileVaultDbContext> Contexts => contexts;

    private async Task AuditFailureAsync(JobRun run, StorageRoot root, string path, Error error)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        AuditTrail.Add(db, time, run.Job.OwnerId == Guid.Empty ? null : run.Job.OwnerId, AuditAction, $"{root.Name}/{path}",
            new { job = run.Job.Id, error = error.Code, error.Message }, AuditResult.Failed);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    protected abstract Task<Result<long>> StepAsync(JobRun run, StorageRoot root, TPayload payload, int index);

    /// <summary>What step <paramref name="index"/> needs of the owner now; null when allowed.</summary>
    protected abstract Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, TPayload payload, int index, CancellationToken cancellationToken);
}

internal sealed class DeleteJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, TrashMover trash, WriteAccess access)
    : TrashJobHandler<TrashPayload>(contexts, time)
{
    protected override Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, TrashPayload payload, int index, CancellationToken cancellationToken) =>
        access.ToTakeAwayAsync(owner, root.Id, payload.Items[index].Path, payload.Items[index].Name, cancellationToken);

    public override string Type => "delete";

    protected override string AuditAction => "entry.trash";

    protected override Task<string> TargetOfAsync(TrashPayload payload, int index, CancellationToken cancellationToken) => Task.FromResult(payload.Items[index].Path);

    protected override (int, int, IReadOnlyList<string>) Describe(TrashPayload payload) => (payload.RootId, payload.Items.Count, []);

    protected override Task<Result<long>> StepAsync(JobRun run, StorageRoot root, TrashPayload payload, int index) =>
        trash.TrashAsync(run, root, payload.Items[index].EntryId, payload.Items[index].Path, run.Job.OwnerId, run.Stopping);
}

internal sealed class RestoreJobHandler(
    IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, TrashMover trash, WriteAccess access, AccessEvaluator evaluator)
    : TrashJobHandler<RestorePayload>(contexts, time)
{
    protected override async Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, RestorePayload payload, int index, CancellationToken cancellationToken)
    {
        var item = payload.Items[index];
        await using (var db = await Contexts.CreateDbContextAsync(cancellationToken))
        {
            // Gone from the trash (restored by an earlier attempt of this job): the step finds its own work.
            var trashed = await db.TrashItems.AsNoTracking().SingleOrDefaultAsync(t => t.Id == item.TrashId, cancellationToken);
            if (trashed is not null && !(await evaluator.GetTrashedAsync(owner, root.Id, trashed.OriginalPath, trashed.TrashPath, cancellationToken)).CanRead)
            {
                return new Error("trash.not_found", "That item is no longer in the trash.");
            }
        }

        return await access.ToAddIntoAsync(owner, root.Id, CatalogChanges.ParentOf(item.Target), cancellationToken)
            ?? (item.ReplaceEntryId is not null
                ? await access.ToReplaceAsync(owner, root.Id, item.ReplacePath!, Path.GetFileName(item.Target), cancellationToken)
                : null);
    }

    public override string Type => "restore";

    protected override string AuditAction => "entry.restore";

    protected override Task<string> TargetOfAsync(RestorePayload payload, int index, CancellationToken cancellationToken) => Task.FromResult(payload.Items[index].Target);

    protected override (int, int, IReadOnlyList<string>) Describe(RestorePayload payload) => (payload.RootId, payload.Items.Count, payload.Skipped);

    protected override async Task<Result<long>> StepAsync(JobRun run, StorageRoot root, RestorePayload payload, int index)
    {
        var item = payload.Items[index];
        if (item.ReplaceEntryId is { } replaced)
        {
            var trashed = await trash.TrashAsync(run, root, replaced, item.ReplacePath!, run.Job.OwnerId, run.Stopping);
            if (!trashed.IsSuccess && trashed.Error!.Code != "entry.not_found")
            {
                return trashed.Error;
            }
        }

        return await trash.RestoreAsync(run, root, item.TrashId, item.Target, run.Job.OwnerId, run.Stopping);
    }
}

internal sealed class PurgeJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, TrashMover trash, AccessEvaluator evaluator)
    : TrashJobHandler<PurgePayload>(contexts, time)
{
    protected override async Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, PurgePayload payload, int index, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var id = payload.TrashIds[index];
        var item = await db.TrashItems.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        return item is null
            || (await evaluator.CanPurgeAsync(owner, root.Id, item.OriginalPath, cancellationToken)
                && (await evaluator.GetTrashedAsync(owner, root.Id, item.OriginalPath, item.TrashPath, cancellationToken)).CanRead)
            ? null
            : new Error("auth.forbidden", $"You may no longer delete \"{item.Name}\" for good.");
    }

    public override string Type => "purge";

    protected override string AuditAction => "entry.purge";

    protected override async Task<string> TargetOfAsync(PurgePayload payload, int index, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var id = payload.TrashIds[index];
        return await db.TrashItems.Where(t => t.Id == id).Select(t => t.OriginalPath).SingleOrDefaultAsync(cancellationToken) ?? $"trash:{id}";
    }

    protected override (int, int, IReadOnlyList<string>) Describe(PurgePayload payload) => (payload.RootId, payload.TrashIds.Count, []);

    protected override Task<Result<long>> StepAsync(JobRun run, StorageRoot root, PurgePayload payload, int index) =>
        trash.PurgeAsync(run, root, payload.TrashIds[index], run.Job.OwnerId == Guid.Empty ? null : run.Job.OwnerId, run.Stopping);
}
