using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Trash;

/// <summary>
/// The three disk steps of the trash, each one rename (or one removal) plus one catalog transaction, and each safe to
/// run again after a crash: trash an entry (into <c>.filevault-trash/{id}/</c> on the same file system), restore it
/// (re-creating missing parent folders), and purge it for good. Every disk path is resolved through
/// <see cref="PathGuard.ResolveForWrite"/>: nothing is changed through a folder that became a link. A trashed
/// folder's grants go into the trash with it and come back with it, whatever name it returns under.
/// </summary>
public sealed class TrashMover(IDbContextFactory<FileVaultDbContext> contexts, AccessVersion accessVersion, TimeProvider time)
{

    /// <summary>Moves an entry (and what is beneath it) to its root's trash; returns the trash item's id.</summary>
    public async Task<Result<long>> TrashAsync(JobRun run, StorageRoot root, long entryId, string expectedPath, Guid actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var item = await db.TrashItems.SingleOrDefaultAsync(t => t.JobId == run.Job.Id && t.EntryId == entryId, cancellationToken);
        var entry = await db.Entries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == entryId, cancellationToken);
        if (item is null)
        {
            if (entry is null || entry.State != EntryState.Active || entry.RelativePath != expectedPath)
            {
                return new Error("entry.not_found", $"\"{Path.GetFileName(expectedPath)}\" is no longer there.");
            }

            var totals = await db.Database.SqlQuery<SubtreeTotals>($"""
                SELECT count(*)::int AS count, COALESCE(sum(size) FILTER (WHERE kind = 1), 0)::bigint AS bytes
                FROM entries WHERE root_id = {root.Id} AND state = 0
                  AND (id = {entryId} OR (relative_path > {expectedPath + "/"} AND relative_path < {expectedPath + "0"}))
                """).SingleAsync(cancellationToken);
            item = new TrashItem
            {
                RootId = root.Id,
                EntryId = entryId,
                OriginalPath = expectedPath,
                Name = entry.Name,
                Kind = entry.Kind,
                Size = totals.Bytes,
                EntryCount = totals.Count,
                DeletedById = actor,
                DeletedAt = time.GetUtcNow(),
                JobId = run.Job.Id,
                State = TrashItemState.Pending,
            };
            db.TrashItems.Add(item);
            await db.SaveChangesAsync(cancellationToken);
        }

        if (item.State == TrashItemState.InTrash)
        {
            return item.Id;
        }

        var resolved = ResolveTrashPaths(root, item);
        if (!resolved.IsSuccess)
        {
            db.TrashItems.Remove(item);
            await db.SaveChangesAsync(CancellationToken.None);
            return new Error(resolved.Error!.Code, $"\"{item.Name}\" was not moved to the trash: {resolved.Error.Message}");
        }

        var (source, target) = resolved.Value;
        await run.GuardAsync();
        if (NativeFileSystem.LinkExists(source) && !NativeFileSystem.LinkExists(target))
        {
            var errno = NativeFileSystem.RenameNoReplace(source, target);
            if (errno != 0)
            {
                db.TrashItems.Remove(item);
                await db.SaveChangesAsync(CancellationToken.None);
                return new Error("io.failed", $"\"{item.Name}\" could not be moved to the trash ({NativeFileSystem.ErrnoName(errno)}).");
            }
        }
        else if (!NativeFileSystem.LinkExists(target))
        {
            db.TrashItems.Remove(item);
            await db.SaveChangesAsync(CancellationToken.None);
            return new Error("entry.not_found", $"\"{item.Name}\" is no longer there.");
        }

        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await CatalogChanges.MoveSubtreeAsync(db, root.Id, entryId, item.OriginalPath, item.TrashPath, entry?.ParentId, item.Name,
                EntryState.Trashed, cancellationToken);
            item.State = TrashItemState.InTrash;
            await CatalogChanges.TouchFolderAsync(db, root, CatalogChanges.ParentOf(item.OriginalPath), cancellationToken);
            AuditTrail.Add(db, time, actor, "entry.trash", $"{root.Name}/{item.OriginalPath}", new { job = run.Job.Id, trash = item.Id });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        await accessVersion.BumpAsync();
        return item.Id;
    }

    /// <summary>The trashed entry's path now and its place in the trash (made if missing), both checked by the path guard.</summary>
    private static Result<(string Source, string Target)> ResolveTrashPaths(StorageRoot root, TrashItem item)
    {
        var source = PathGuard.ResolveForWrite(root.Path, item.OriginalPath);
        var realRoot = PathGuard.ResolveForWrite(root.Path, "");
        if (!source.IsSuccess || !realRoot.IsSuccess)
        {
            return (source.Error ?? realRoot.Error)!;
        }

        EnsureFolder(Path.Join(realRoot.Value, PathGuard.TrashDirectoryName), NativeFileSystem.PrivateFolderMode);
        var itemFolder = PathGuard.ResolveForWrite(root.Path, CatalogChanges.Join(PathGuard.TrashDirectoryName, item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (!itemFolder.IsSuccess)
        {
            return itemFolder.Error!;
        }

        EnsureFolder(itemFolder.Value, NativeFileSystem.PrivateFolderMode);
        var target = PathGuard.ResolveForWrite(root.Path, item.TrashPath);
        return target.IsSuccess ? (source.Value, target.Value) : target.Error!;
    }

    /// <summary>Puts a trashed entry back at <paramref name="targetPath"/> (its original path, or a "keep both" name beside it).</summary>
    public async Task<Result<long>> RestoreAsync(JobRun run, StorageRoot root, long trashId, string targetPath, Guid actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var item = await db.TrashItems.SingleOrDefaultAsync(t => t.Id == trashId, cancellationToken);
        if (item is null || item.State != TrashItemState.InTrash)
        {
            // Restored by an earlier attempt of this job that stopped before recording it.
            var restored = await db.Entries.Where(e => e.RootId == root.Id && e.RelativePath == targetPath && e.State == EntryState.Active)
                .Select(e => (long?)e.Id).SingleOrDefaultAsync(cancellationToken);
            return restored is { } id ? id : new Error("trash.not_found", "That item is no longer in the trash.");
        }

        var parentPath = CatalogChanges.ParentOf(targetPath);
        var parentId = await EnsureParentsAsync(db, run, root, parentPath, actor, cancellationToken);
        if (!parentId.IsSuccess)
        {
            return parentId.Error!;
        }

        var sourceOnDisk = PathGuard.ResolveForWrite(root.Path, item.TrashPath);
        var targetOnDisk = PathGuard.ResolveForWrite(root.Path, targetPath);
        if (!sourceOnDisk.IsSuccess || !targetOnDisk.IsSuccess)
        {
            var refused = (sourceOnDisk.Error ?? targetOnDisk.Error)!;
            return new Error(refused.Code, $"\"{item.Name}\" was not restored: {refused.Message}");
        }

        var source = sourceOnDisk.Value;
        var target = targetOnDisk.Value;

        await run.GuardAsync();
        if (NativeFileSystem.LinkExists(source))
        {
            var errno = NativeFileSystem.RenameNoReplace(source, target);
            if (errno != 0)
            {
                return errno == NativeFileSystem.EExist
                    ? new Error("name.conflict", $"\"{Path.GetFileName(targetPath)}\" already exists in that folder.")
                    : new Error("io.failed", $"\"{item.Name}\" could not be restored ({NativeFileSystem.ErrnoName(errno)}).");
            }
        }
        else if (!NativeFileSystem.LinkExists(target))
        {
            return new Error("trash.gone", $"\"{item.Name}\" is no longer on the disk.");
        }

        var name = Path.GetFileName(targetPath);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await CatalogChanges.MoveSubtreeAsync(db, root.Id, item.EntryId, item.TrashPath, targetPath, parentId.Value, name, EntryState.Active, cancellationToken);
            db.TrashItems.Remove(item);
            await CatalogChanges.TouchFolderAsync(db, root, parentPath, cancellationToken);
            AuditTrail.Add(db, time, actor, "entry.restore", $"{root.Name}/{targetPath}", new { job = run.Job.Id, trash = item.Id, from = item.OriginalPath });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        await accessVersion.BumpAsync();
        TryRemoveEmptyFolder(Path.GetDirectoryName(source)!);
        return item.EntryId;
    }

    /// <summary>Deletes a trashed entry for good: its files, then its rows.</summary>
    public async Task<Result<long>> PurgeAsync(JobRun run, StorageRoot root, long trashId, Guid? actor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var item = await db.TrashItems.SingleOrDefaultAsync(t => t.Id == trashId, cancellationToken);
        if (item is null)
        {
            return trashId;
        }

        var resolved = PathGuard.ResolveForWrite(root.Path, CatalogChanges.Join(PathGuard.TrashDirectoryName, item.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (!resolved.IsSuccess && resolved.Error!.Code != "path.not_found")
        {
            return new Error(resolved.Error.Code, $"\"{item.Name}\" was not deleted: {resolved.Error.Message}");
        }

        var folder = resolved.IsSuccess ? resolved.Value : null;
        await run.GuardAsync();
        if (folder is not null && Directory.Exists(folder) && new FileInfo(folder).LinkTarget is null)
        {
            // Links inside are removed, never followed.
            Directory.Delete(folder, recursive: true);
        }

        var trashPath = item.TrashPath;
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"""
                DELETE FROM entries WHERE root_id = {root.Id}
                  AND (id = {item.EntryId} OR (relative_path > {trashPath + "/"} AND relative_path < {trashPath + "0"}))
                """, cancellationToken);
            await db.Database.ExecuteSqlAsync($"""
                DELETE FROM folder_grants WHERE root_id = {root.Id}
                  AND (relative_path = {trashPath} OR (relative_path > {trashPath + "/"} AND relative_path < {trashPath + "0"}))
                """, cancellationToken);
            db.TrashItems.Remove(item);
            AuditTrail.Add(db, time, actor, "entry.purge", $"{root.Name}/{item.OriginalPath}", new { job = run.Job.Id, trash = item.Id });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        return trashId;
    }

    /// <summary>The folder at <paramref name="folder"/>, made (on disk and in the catalog) where it is missing; its id.</summary>
    private async Task<Result<long>> EnsureParentsAsync(FileVaultDbContext db, JobRun run, StorageRoot root, string folder, Guid actor, CancellationToken cancellationToken)
    {
        var rootEntry = await db.Entries.Where(e => e.RootId == root.Id && e.RelativePath == "").Select(e => (long?)e.Id).SingleOrDefaultAsync(cancellationToken);
        if (rootEntry is not { } parentId)
        {
            return new Error("root.not_scanned", "The storage root has not been scanned yet.");
        }

        var path = "";
        foreach (var component in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = CatalogChanges.Join(path, component);
            var resolved = PathGuard.ResolveForWrite(root.Path, path);
            if (!resolved.IsSuccess)
            {
                return new Error(resolved.Error!.Code, $"The folder \"{path}\" could not be re-created: {resolved.Error.Message}");
            }

            var full = resolved.Value;
            if (!NativeFileSystem.LinkExists(full))
            {
                await run.GuardAsync();
                var errno = NativeFileSystem.CreateDirectory(full, NativeFileSystem.NewFolderMode);
                if (errno != 0 && errno != NativeFileSystem.EExist)
                {
                    return new Error("io.failed", $"The folder \"{path}\" could not be re-created ({NativeFileSystem.ErrnoName(errno)}).");
                }
            }
            else if (!Directory.Exists(full) || new FileInfo(full).LinkTarget is not null)
            {
                return new Error("name.conflict", $"\"{path}\" is no longer a folder.");
            }

            var existing = await db.Entries.Where(e => e.RootId == root.Id && e.RelativePath == path)
                .Select(e => new { e.Id, e.State, e.Kind }).SingleOrDefaultAsync(cancellationToken);
            if (existing is { State: EntryState.Active, Kind: EntryKind.Directory })
            {
                parentId = existing.Id;
                continue;
            }

            parentId = await CatalogChanges.InsertFolderRowAsync(db, root.Id, parentId, component, path, full, actor, time.GetUtcNow(), cancellationToken);
        }

        return parentId;
    }

    private static void EnsureFolder(string path, UnixFileMode mode)
    {
        var errno = NativeFileSystem.CreateDirectory(path, mode);
        if (errno != 0 && errno != NativeFileSystem.EExist)
        {
            throw new IOException($"Cannot create {path}: {NativeFileSystem.ErrnoName(errno)}");
        }
    }

    private static void TryRemoveEmptyFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: false);
        }
        catch (IOException)
        {
        }
    }

    private sealed record SubtreeTotals(int Count, long Bytes);
}
