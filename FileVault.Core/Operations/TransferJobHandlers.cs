using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Operations;

/// <summary>
/// How far a move or copy got: items before <see cref="Next"/> are finished (done, or failed with a reason), and the
/// next one's own steps so far. Saved with each item's catalog change; small, whatever the number of items.
/// </summary>
internal sealed class TransferCheckpoint
{
    public int Next { get; set; }

    public int Done { get; set; }

    public Dictionary<int, string> Failures { get; set; } = [];

    /// <summary>The next item was copied whole to another file system; what is left is removing its source.</summary>
    public bool Copied { get; set; }

    public void Advance(string? failure)
    {
        if (failure is null)
        {
            Done++;
        }
        else
        {
            Failures[Next] = failure;
        }

        Next++;
        Copied = false;
    }
}

/// <summary>What a finished move or copy did, for its owner.</summary>
/// <param name="UnreadableLeftOut">Folders a copy left out because its owner may not read them (a count: their names are not the owner's to see).</param>
public sealed record TransferSummary(int Done, int Failed, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failures, int LinksSkipped, int UnreadableLeftOut = 0);

/// <summary>
/// Carries out a move or a copy, item by item, resumably. A move within a file system is one rename(2) per item; across
/// file systems (EXDEV) it is a copy, then the source's removal. A copy writes temporary names, fsyncs and renames
/// (<see cref="FileTreeCopier"/>). Each item's catalog change is one transaction with its checkpoint, so after a crash
/// the next run finds each item done, or still at its source, or whole at its destination, and finishes it.
/// Before each item the owner's current access is asked again (<see cref="WriteAccess"/>): a revoked grant or a
/// disabled account stops the job there, with every item before it finished and the rest untouched.
/// </summary>
internal abstract class TransferJobHandler(
    IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, WriteAccess access, AccessVersion accessVersion, TimeProvider time) : IJobHandler
{
    // Catalog changes are committed for up to this many items, or this often, in one transaction with the checkpoint.
    private const int BatchSize = 200;
    private static readonly TimeSpan BatchTime = TimeSpan.FromMilliseconds(500);

    public abstract string Type { get; }

    protected abstract bool IsMove { get; }

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var payload = run.Payload<TransferPayload>();
        var checkpoint = run.Checkpoint<TransferCheckpoint>() ?? new TransferCheckpoint();
        StorageRoot root;
        await using (var db = await contexts.CreateDbContextAsync(run.Stopping))
        {
            root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == payload.RootId, run.Stopping);
        }

        if (!(await MountHealth.CheckAsync(root, MountHealth.DefaultTimeout, run.Stopping)).IsHealthy)
        {
            return JobOutcome.Failed("The storage is not available; nothing more was changed. Retry when it is back.");
        }

        var copier = new FileTreeCopier(run, Math.Max(1, payload.TotalBytes), IsMove ? "move" : "copy");
        var pending = new List<TransferItem>();
        var batchStarted = time.GetUtcNow();
        for (var i = checkpoint.Next + pending.Count; i < payload.Items.Count; i = checkpoint.Next + pending.Count)
        {
            run.Stopping.ThrowIfCancellationRequested();
            var item = payload.Items[i];
            await run.ReportAsync(IsMove ? i : copier.BytesDone, IsMove ? payload.Items.Count : payload.TotalBytes, item.Name);
            IReadOnlyList<string> leaveOut = [];
            var denied = await run.AuthorizeAsync(async owner =>
            {
                var refused = await CheckAccessAsync(owner, root, payload, item, run.Stopping);
                if (refused is null && !IsMove)
                {
                    leaveOut = await access.UnreadableBelowAsync(owner, root.Id, item.Path, run.Stopping);
                }

                return refused;
            });
            if (denied is not null)
            {
                await CommitAsync(run, root, payload, checkpoint, pending);
                return JobOutcome.Failed($"Stopped before \"{item.Name}\": {denied.Message} Nothing more was changed.",
                    Summarize(payload, checkpoint, copier));
            }

            var error = await DiskStepAsync(run, root, payload, item, checkpoint, pending, copier, leaveOut);
            if (error is not null)
            {
                await CommitAsync(run, root, payload, checkpoint, pending);
                checkpoint.Advance(error.Message);
                await run.SaveCheckpointAsync(checkpoint, CancellationToken.None);
                continue;
            }

            pending.Add(item);
            if (pending.Count >= BatchSize || time.GetUtcNow() - batchStarted > BatchTime)
            {
                await CommitAsync(run, root, payload, checkpoint, pending);
                batchStarted = time.GetUtcNow();
            }
        }

        await CommitAsync(run, root, payload, checkpoint, pending);
        var summary = Summarize(payload, checkpoint, copier);
        var failures = summary.Failures;
        await run.ReportAsync(payload.Items.Count, payload.Items.Count, null, force: true);
        return failures.Count == 0
            ? JobOutcome.Succeeded(summary)
            : JobOutcome.Failed(string.Join("; ", failures.Take(5)) + (failures.Count > 5 ? $" (and {failures.Count - 5} more)" : ""), summary);
    }

    /// <summary>
    /// The disk side of one item; null when it is (now, or already) whole at its destination. Each branch first looks
    /// at what an earlier, killed attempt may have done: the source gone and the target there means it was moved.
    /// </summary>
    private async Task<Error?> DiskStepAsync(JobRun run, StorageRoot root, TransferPayload payload, TransferItem item, TransferCheckpoint checkpoint,
        List<TransferItem> pending, FileTreeCopier copier, IReadOnlyList<string> leaveOut)
    {
        var targetPath = CatalogChanges.Join(payload.Destination, item.Target);
        var sourceOnDisk = PathGuard.ResolveForWrite(root.Path, item.Path);
        var targetOnDisk = PathGuard.ResolveForWrite(root.Path, targetPath);
        if (!sourceOnDisk.IsSuccess || !targetOnDisk.IsSuccess)
        {
            var refused = (sourceOnDisk.Error ?? targetOnDisk.Error)!;
            return new Error(refused.Code, $"\"{item.Name}\" was not {(IsMove ? "moved" : "copied")}: {refused.Message}");
        }

        var source = sourceOnDisk.Value;
        var target = targetOnDisk.Value;
        if (item.ReplaceEntryId is { } replaced)
        {
            // Idempotent per job and entry: a resumed job finds its own trash item.
            var trashed = await trash.TrashAsync(run, root, replaced, item.ReplacePath!, run.Job.OwnerId, run.Stopping);
            if (!trashed.IsSuccess && trashed.Error!.Code != "entry.not_found")
            {
                return trashed.Error;
            }
        }

        if (!IsMove)
        {
            if (!NativeFileSystem.LinkExists(source))
            {
                return new Error("entry.not_found", $"\"{item.Name}\" is no longer there.");
            }

            var failuresBefore = copier.Failures.Count;
            // The folders the owner may not read stay behind: a copy must not make them readable elsewhere.
            copier.LeaveOut(leaveOut.Select(path => source + path[item.Path.Length..]));
            await copier.CopyAsync(source, target);
            return copier.Failures.Count > failuresBefore && !NativeFileSystem.LinkExists(target) ? new Error("io.failed", copier.Failures[^1]) : null;
        }

        var resumedCopy = checkpoint.Copied && pending.Count == 0;
        if (!resumedCopy)
        {
            await run.GuardAsync();
            if (NativeFileSystem.LinkExists(source))
            {
                var errno = NativeFileSystem.RenameNoReplace(source, target);
                if (errno == NativeFileSystem.EXDev)
                {
                    // Another file system below the root: copy whole, record that, then remove the source.
                    await CommitAsync(run, root, payload, checkpoint, pending);
                    await copier.CopyAsync(source, target);
                    if (copier.Failures.Count > 0)
                    {
                        return new Error("io.failed", $"\"{item.Name}\" was not moved: some files could not be copied.");
                    }

                    checkpoint.Copied = true;
                    await run.SaveCheckpointAsync(checkpoint, run.Stopping);
                    resumedCopy = true;
                }
                else if (errno != 0)
                {
                    return errno == NativeFileSystem.EExist
                        ? new Error("name.conflict", $"\"{item.Target}\" appeared in the destination meanwhile; \"{item.Name}\" was not moved.")
                        : new Error("io.failed", $"\"{item.Name}\" could not be moved ({NativeFileSystem.ErrnoName(errno)}).");
                }
            }
            else if (!NativeFileSystem.LinkExists(target))
            {
                return new Error("entry.not_found", $"\"{item.Name}\" is no longer there.");
            }
        }

        if (resumedCopy && NativeFileSystem.LinkExists(source))
        {
            await run.GuardAsync();
            DeleteTree(source);
        }

        return null;
    }

    /// <summary>What the job did so far: the items finished, the failures (in item order, then the copier's), what was left out.</summary>
    private static TransferSummary Summarize(TransferPayload payload, TransferCheckpoint checkpoint, FileTreeCopier copier)
    {
        var failures = checkpoint.Failures.OrderBy(f => f.Key).Select(f => f.Value).Concat(copier.Failures).Distinct().ToList();
        return new TransferSummary(checkpoint.Done, failures.Count, payload.Skipped, failures, copier.LinksSkipped, copier.UnreadableLeftOut);
    }

    /// <summary>What one item needs of the owner now: Write on the destination, Read on the source, Delete on all of it for a move, and what replacing needs.</summary>
    private async Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, TransferPayload payload, TransferItem item, CancellationToken cancellationToken) =>
        await access.ToAddIntoAsync(owner, root.Id, payload.Destination, cancellationToken)
        ?? await access.ToReadAsync(owner, root.Id, item.Path, cancellationToken)
        ?? (IsMove ? await access.ToTakeAwayAsync(owner, root.Id, item.Path, item.Name, cancellationToken) : null)
        ?? (item.ReplaceEntryId is not null ? await access.ToReplaceAsync(owner, root.Id, item.ReplacePath!, item.Target, cancellationToken) : null);

    /// <summary>The catalog side of the pending items, with their audit rows and the checkpoint, in one transaction.</summary>
    private async Task CommitAsync(JobRun run, StorageRoot root, TransferPayload payload, TransferCheckpoint checkpoint, List<TransferItem> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(run.Stopping);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(run.Stopping);
            var now = time.GetUtcNow();
            var next = new TransferCheckpoint { Next = checkpoint.Next, Done = checkpoint.Done, Failures = checkpoint.Failures };
            var folders = new HashSet<string>(StringComparer.Ordinal) { payload.Destination };
            foreach (var item in pending)
            {
                var targetPath = CatalogChanges.Join(payload.Destination, item.Target);
                if (IsMove)
                {
                    await CatalogChanges.MoveSubtreeAsync(db, root.Id, item.EntryId, item.Path, targetPath, payload.DestinationId, item.Target, null, run.Stopping);
                    folders.Add(CatalogChanges.ParentOf(item.Path));
                }
                else
                {
                    await CatalogChanges.CopySubtreeAsync(db, root, item.EntryId, item.Path, targetPath, payload.DestinationId, item.Target, run.Job.OwnerId, now, run.Stopping);
                }

                AuditTrail.Add(db, time, run.Job.OwnerId, IsMove ? "entry.move" : "entry.copy", $"{root.Name}/{item.Path}", new { to = targetPath, job = run.Job.Id });
                next.Advance(null);
            }

            foreach (var folder in folders)
            {
                await CatalogChanges.TouchFolderAsync(db, root, folder, run.Stopping);
            }

            await run.SaveCheckpointAsync(db, next, run.Stopping);
            await db.SaveChangesAsync(run.Stopping);
            await transaction.CommitAsync(run.Stopping);
        });
        if (IsMove)
        {
            // The moved folders' grants have new paths: cached answers about the old ones must be asked again.
            await accessVersion.BumpAsync();
        }

        var committed = run.Checkpoint<TransferCheckpoint>()!;
        checkpoint.Next = committed.Next;
        checkpoint.Done = committed.Done;
        checkpoint.Copied = false;
        pending.Clear();
    }

    /// <summary>Removes a tree without following links (the source of a cross-device move, once copied whole).</summary>
    private static void DeleteTree(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null && info.Attributes.HasFlag(FileAttributes.Directory))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            File.Delete(path);
        }
    }
}

internal sealed class MoveJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, WriteAccess access, AccessVersion accessVersion, TimeProvider time)
    : TransferJobHandler(contexts, trash, access, accessVersion, time)
{
    public override string Type => "move";

    protected override bool IsMove => true;
}

internal sealed class CopyJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, WriteAccess access, AccessVersion accessVersion, TimeProvider time)
    : TransferJobHandler(contexts, trash, access, accessVersion, time)
{
    public override string Type => "copy";

    protected override bool IsMove => false;
}
