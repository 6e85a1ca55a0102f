using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Operations;

/// <summary>How far a move or copy got, item by item; saved with each item's catalog change.</summary>
internal sealed class TransferCheckpoint
{
    public List<TransferStep> Items { get; set; } = [];
}

internal sealed class TransferStep
{
    public bool Replaced { get; set; }

    public bool Copied { get; set; }

    public bool Done { get; set; }

    public string? Failure { get; set; }
}

/// <summary>What a finished move or copy did, for its owner.</summary>
public sealed record TransferSummary(int Done, int Failed, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failures, int LinksSkipped);

/// <summary>
/// Carries out a move or a copy, item by item, resumably. A move within a file system is one rename(2) per item; across
/// file systems (EXDEV) it is a copy, then the source's removal. A copy writes temporary names, fsyncs and renames
/// (<see cref="FileTreeCopier"/>). Each item's catalog change is one transaction with its checkpoint, so after a crash
/// the next run finds each item done, or still at its source, or whole at its destination, and finishes it.
/// </summary>
internal abstract class TransferJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, TimeProvider time) : IJobHandler
{
    public abstract string Type { get; }

    protected abstract bool IsMove { get; }

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var payload = run.Payload<TransferPayload>();
        var checkpoint = run.Checkpoint<TransferCheckpoint>() ?? new TransferCheckpoint { Items = payload.Items.Select(_ => new TransferStep()).ToList() };
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
        for (var i = 0; i < payload.Items.Count; i++)
        {
            var step = checkpoint.Items[i];
            if (step.Done || step.Failure is not null)
            {
                continue;
            }

            run.Stopping.ThrowIfCancellationRequested();
            var item = payload.Items[i];
            if (!IsMove)
            {
                await run.ReportAsync(copier.BytesDone, payload.TotalBytes, item.Name, force: true);
            }
            else
            {
                await run.ReportAsync(i, payload.Items.Count, item.Name, force: true);
            }

            var error = await RunItemAsync(run, root, payload, item, step, checkpoint, copier);
            if (error is not null)
            {
                step.Failure = error.Message;
                await run.SaveCheckpointAsync(checkpoint, CancellationToken.None);
            }
        }

        var failures = checkpoint.Items.Where(s => s.Failure is not null).Select(s => s.Failure!).Concat(copier.Failures).ToList();
        var summary = new TransferSummary(checkpoint.Items.Count(s => s.Done), failures.Count, payload.Skipped, failures, copier.LinksSkipped);
        await run.ReportAsync(payload.Items.Count, payload.Items.Count, null, force: true);
        return failures.Count == 0
            ? JobOutcome.Succeeded(summary)
            : JobOutcome.Failed(string.Join("; ", failures.Take(5)) + (failures.Count > 5 ? $" (and {failures.Count - 5} more)" : ""), summary);
    }

    private async Task<Error?> RunItemAsync(JobRun run, StorageRoot root, TransferPayload payload, TransferItem item, TransferStep step,
        TransferCheckpoint checkpoint, FileTreeCopier copier)
    {
        var targetPath = CatalogChanges.Join(payload.Destination, item.Target);
        var source = Path.Combine(root.Path, item.Path);
        var target = Path.Combine(root.Path, targetPath);
        if (item.ReplaceEntryId is { } replaced && !step.Replaced)
        {
            var trashed = await trash.TrashAsync(run, root, replaced, item.ReplacePath!, run.Job.OwnerId, run.Stopping);
            if (!trashed.IsSuccess && trashed.Error!.Code != "entry.not_found")
            {
                return trashed.Error;
            }

            step.Replaced = true;
            await run.SaveCheckpointAsync(checkpoint, run.Stopping);
        }

        if (IsMove && !step.Copied)
        {
            await run.GuardAsync();
            if (NativeFileSystem.LinkExists(source))
            {
                var errno = NativeFileSystem.RenameNoReplace(source, target);
                if (errno == NativeFileSystem.EXDev)
                {
                    // Another file system below the root: copy, then remove the source.
                    await copier.CopyAsync(source, target);
                    if (copier.Failures.Count > 0)
                    {
                        return new Error("io.failed", $"\"{item.Name}\" was not moved: some files could not be copied.");
                    }

                    step.Copied = true;
                    await run.SaveCheckpointAsync(checkpoint, run.Stopping);
                }
                else if (errno != 0)
                {
                    return errno == NativeFileSystem.EExist
                        ? new Error("name.conflict", $"\"{item.Target}\" appeared in the destination meanwhile; \"{item.Name}\" was not moved.")
                        : new Error("io.failed", $"\"{item.Name}\" could not be moved ({Scanning.NativeDirectory.ErrnoName(errno)}).");
                }
            }
            else if (!NativeFileSystem.LinkExists(target))
            {
                return new Error("entry.not_found", $"\"{item.Name}\" is no longer there.");
            }
        }

        if (IsMove && step.Copied && NativeFileSystem.LinkExists(source))
        {
            await run.GuardAsync();
            DeleteTree(source);
        }

        if (!IsMove)
        {
            if (!NativeFileSystem.LinkExists(source))
            {
                return new Error("entry.not_found", $"\"{item.Name}\" is no longer there.");
            }

            var failuresBefore = copier.Failures.Count;
            await copier.CopyAsync(source, target);
            if (copier.Failures.Count > failuresBefore && !NativeFileSystem.LinkExists(target))
            {
                return new Error("io.failed", copier.Failures[^1]);
            }
        }

        await using var db = await contexts.CreateDbContextAsync(run.Stopping);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(run.Stopping);
            var now = time.GetUtcNow();
            if (IsMove)
            {
                await CatalogChanges.MoveSubtreeAsync(db, root.Id, item.EntryId, item.Path, targetPath, payload.DestinationId, item.Target, null, run.Stopping);
                await CatalogChanges.TouchFolderAsync(db, root, CatalogChanges.ParentOf(item.Path), run.Stopping);
            }
            else
            {
                await CatalogChanges.CopySubtreeAsync(db, root, item.EntryId, item.Path, targetPath, payload.DestinationId, item.Target, run.Job.OwnerId, now, run.Stopping);
            }

            await CatalogChanges.TouchFolderAsync(db, root, payload.Destination, run.Stopping);
            AuditTrail.Add(db, time, run.Job.OwnerId, IsMove ? "entry.move" : "entry.copy", $"{root.Name}/{item.Path}",
                new { to = targetPath, job = run.Job.Id });
            step.Done = true;
            await run.SaveCheckpointAsync(db, checkpoint, run.Stopping);
            await db.SaveChangesAsync(run.Stopping);
            await transaction.CommitAsync(run.Stopping);
        });
        return null;
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

internal sealed class MoveJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, TimeProvider time)
    : TransferJobHandler(contexts, trash, time)
{
    public override string Type => "move";

    protected override bool IsMove => true;
}

internal sealed class CopyJobHandler(IDbContextFactory<FileVaultDbContext> contexts, TrashMover trash, TimeProvider time)
    : TransferJobHandler(contexts, trash, time)
{
    public override string Type => "copy";

    protected override bool IsMove => false;
}
