using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Operations;

/// <summary>
/// Single-entry operations that finish at once: new folder and rename. Each is a job row before the disk is touched
/// (DESIGN invariant 4), checks the acting user's current access, the root's health, and the name through the path
/// guard, holds path locks, lets the kernel decide name conflicts (no replace), then updates the catalog and the audit
/// log in one transaction. A crash between the disk change and the catalog leaves an interrupted job and a catalog
/// that the next scan of the folder brings back in line (both are one system call: the entry is at its old or at its
/// new name, whole).
/// </summary>
public sealed class EntryOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    AccessVersion accessVersion,
    ResourceLocks locks,
    JobLedger jobs,
    ScanMonitor instance,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<EntryOperations> logger)
{
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);

    /// <summary>Creates a folder named <paramref name="name"/> (stored in NFC) in a folder; returns the new entry's id.</summary>
    public async Task<Result<long>> CreateFolderAsync(AccessSubject actor, long parentId, string name, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var target = await PrepareAsync(actor, parentId, requireFolder: true, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error!;
        }

        var (parent, root) = target.Value;
        var nfcName = name.Normalize(NormalizationForm.FormC);
        var destination = await CheckNewNameAsync(actor, root, parent, parent.Id, nfcName, excludeId: null, cancellationToken);
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        var relativePath = Join(parent.RelativePath, nfcName);
        return await RunAsJobAsync(actor, "mkdir", root.Id, new { root = root.Id, parentId, name = nfcName }, idempotencyKey, [relativePath],
            async () =>
            {
                var errno = NativeFileSystem.CreateDirectory(destination.Value, NativeFileSystem.NewFolderMode);
                if (errno != 0)
                {
                    return NativeFileSystem.ChangeRefused(errno, nfcName, "nothing was changed");
                }

                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                    var id = await CatalogChanges.InsertFolderRowAsync(db, root.Id, parent.Id, nfcName, relativePath, destination.Value, actor.UserId,
                        time.GetUtcNow(), cancellationToken);
                    await CatalogChanges.TouchFolderAsync(db, parent.Id, Path.GetDirectoryName(destination.Value)!, cancellationToken);
                    AuditTrail.Add(db, time, actor.UserId, "entry.create_folder", $"{root.Name}/{relativePath}");
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    return Result<long>.Success(id);
                });
            },
            cancellationToken);
    }

    /// <summary>Renames a file or folder in place; a folder's whole subtree follows in the catalog.</summary>
    public async Task<Result<long>> RenameAsync(AccessSubject actor, long entryId, string newName, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var target = await PrepareAsync(actor, entryId, requireFolder: false, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error!;
        }

        var (entry, root) = target.Value;
        if (entry.ParentId is not { } parentId || entry.RelativePath.Length == 0)
        {
            return new Error("entry.root", "The root itself cannot be renamed here.");
        }

        if (!entry.NameIsValid)
        {
            return new Error("path.invalid_name", "This entry's name on the server is not valid UTF-8; rename it on the server.");
        }

        var nfcName = newName.Normalize(NormalizationForm.FormC);
        if (nfcName == entry.Name)
        {
            return entry.Id;
        }

        var slash = entry.RelativePath.LastIndexOf('/');
        var parentPath = slash < 0 ? "" : entry.RelativePath[..slash];
        var parentEntry = new Entry { Name = "", NameKey = "", RelativePath = parentPath, RootId = root.Id, Id = parentId };
        // A case-only (or NFC/NFD-only) rename of the same entry is allowed: it conflicts with no one but itself.
        var destination = await CheckNewNameAsync(actor, root, parentEntry, parentId, nfcName, excludeId: entry.Id, cancellationToken);
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        var sourceOnDisk = PathGuard.ResolveForWrite(root.Path, entry.RelativePath);
        if (!sourceOnDisk.IsSuccess)
        {
            return sourceOnDisk.Error!;
        }

        var source = sourceOnDisk.Value;
        var newPath = Join(parentPath, nfcName);
        return await RunAsJobAsync(actor, "rename", root.Id, new { root = root.Id, entryId, from = entry.RelativePath, to = newPath }, idempotencyKey,
            [entry.RelativePath, newPath],
            async () =>
            {
                var errno = NativeFileSystem.RenameNoReplace(source, destination.Value);
                if (errno != 0)
                {
                    return NativeFileSystem.ChangeRefused(errno, nfcName, "nothing was changed");
                }

                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var renamed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
                {
                    await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                    var old = entry.RelativePath;
                    // The subtree's rows and the grants on the folder and below it follow the new name.
                    await CatalogChanges.MoveSubtreeAsync(db, root.Id, entry.Id, old, newPath, parentId, nfcName, null, cancellationToken);
                    await CatalogChanges.TouchFolderAsync(db, parentId, Path.GetDirectoryName(destination.Value)!, cancellationToken);
                    AuditTrail.Add(db, time, actor.UserId, "entry.rename", $"{root.Name}/{old}", new { to = newPath });
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    return Result<long>.Success(entry.Id);
                });
                await accessVersion.BumpAsync();
                return renamed;
            },
            cancellationToken);
    }

    /// <summary>
    /// The same request again (a double click, a retried API call with its Idempotency-Key) gets the first one's answer
    /// and changes nothing (R-OP-7); null when the key is new.
    /// </summary>
    private async Task<Result<long>?> ReplayAsync(AccessSubject actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null || await jobs.FindAsync(actor.UserId, idempotencyKey, cancellationToken) is not { } earlier)
        {
            return null;
        }

        return earlier.Status switch
        {
            JobStatus.Succeeded when earlier.ResultEntryId is { } id => id,
            JobStatus.Failed => new Error("job.failed", earlier.Error ?? "The earlier request failed."),
            _ => new Error("job.in_progress", "The same request is already being carried out."),
        };
    }

    /// <summary>The entry and its root, if the actor may write in it (its parent, for a rename) and the root is healthy.</summary>
    private async Task<Result<(Entry Entry, StorageRoot Root)>> PrepareAsync(AccessSubject actor, long id, bool requireFolder, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entry = await db.Entries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.State == EntryState.Active, cancellationToken);
        var root = entry is null ? null : await db.StorageRoots.AsNoTracking().SingleOrDefaultAsync(r => r.Id == entry.RootId, cancellationToken);
        if (entry is null || root is null || !await access.CanReadAsync(actor, root.Id, entry.RelativePath, cancellationToken))
        {
            return new Error("entry.not_found", "No such file or folder.");
        }

        if (requireFolder && entry.Kind != EntryKind.Directory)
        {
            return new Error("entry.not_a_folder", "That entry is not a folder.");
        }

        var folder = requireFolder ? entry.RelativePath : ParentOf(entry.RelativePath);
        if (!await access.CanWriteAsync(actor, root.Id, folder, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not change this folder.");
        }

        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        return health.IsHealthy
            ? (entry, root)
            : new Error("root.unhealthy", "The storage is not available right now; nothing was changed. " + health.Problem!.Message);
    }

    /// <summary>The full path for a new name, refusing bad names (path guard) and names a sibling already has (R-PATH-6).</summary>
    private async Task<Result<string>> CheckNewNameAsync(AccessSubject actor, StorageRoot root, Entry parent, long parentId, string nfcName, long? excludeId, CancellationToken cancellationToken)
    {
        var parentPath = PathGuard.Parse(parent.RelativePath);
        if (!parentPath.IsSuccess)
        {
            return parentPath.Error!;
        }

        var destination = PathGuard.ResolveForCreate(root.Path, parentPath.Value, nfcName);
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = EntryName.Key(nfcName);
        var twin = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == parentId && e.NameKey == key && e.State == EntryState.Active && e.Id != excludeId)
            .Select(e => e.RelativePath)
            .FirstOrDefaultAsync(cancellationToken);
        if (twin is null)
        {
            return destination;
        }

        return await writeAccess.NameTakenAsync(actor, root.Id, twin, nfcName, cancellationToken);
    }

    /// <summary>Records the job, takes the locks, runs the change, and finishes the job with its outcome.</summary>
    private async Task<Result<long>> RunAsJobAsync(
        AccessSubject actor, string type, int rootId, object payload, string? idempotencyKey, IReadOnlyList<string> lockPaths,
        Func<Task<Result<long>>> change, CancellationToken cancellationToken)
    {
        var enqueued = await jobs.EnqueueAsync(actor.UserId, new NewJob(type, "operations", JsonSerializer.Serialize(payload), idempotencyKey), cancellationToken);
        if (!enqueued.IsSuccess)
        {
            return enqueued.Error!;
        }

        var job = await jobs.StartAsync(enqueued.Value, instance.InstanceId, cancellationToken);
        if (job is null)
        {
            // A concurrent twin of this request won the race to the job row.
            return await ReplayAsync(actor, idempotencyKey, cancellationToken) ?? new Error("job.in_progress", "The same request is already being carried out.");
        }

        var acquired = await locks.AcquireAsync(new LockRequest(rootId, lockPaths, type, await LockRequest.HolderNameAsync(contexts, actor.UserId, cancellationToken)), LockTtl, cancellationToken);
        if (!acquired.IsSuccess)
        {
            await jobs.FinishAsync(job.Id, JobStatus.Failed, acquired.Error!.Message, CancellationToken.None);
            return acquired.Error;
        }

        await using var lease = acquired.Value;

        try
        {
            var result = await change();
            await jobs.FinishAsync(job.Id, result.IsSuccess ? JobStatus.Succeeded : JobStatus.Failed, result.Error?.Message, CancellationToken.None,
                result.IsSuccess ? result.Value : null);
            if (result.IsSuccess)
            {
                logger.LogInformation("{User} completed {Operation} job {JobId}", actor.UserId, type, job.Id);
            }

            return result;
        }
        catch (Exception ex)
        {
            await jobs.FinishAsync(job.Id, JobStatus.Failed, ex.Message, CancellationToken.None);
            throw;
        }
    }

    private static string ParentOf(string relativePath) => relativePath.LastIndexOf('/') is var slash and >= 0 ? relativePath[..slash] : "";

    private static string Join(string folder, string name) => folder.Length == 0 ? name : folder + "/" + name;
}
