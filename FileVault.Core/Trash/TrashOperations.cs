using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Trash;

internal sealed record TrashPayload(int RootId, IReadOnlyList<TrashTarget> Items);

internal sealed record TrashTarget(long EntryId, string Path, string Name);

internal sealed record RestorePayload(int RootId, IReadOnlyList<RestoreTarget> Items, IReadOnlyList<string> Skipped);

internal sealed record RestoreTarget(long TrashId, string Target, long? ReplaceEntryId, string? ReplacePath);

internal sealed record PurgePayload(int RootId, IReadOnlyList<long> TrashIds);

/// <summary>
/// Restore and purge, as requested by a user: checks access and the names, settles name conflicts on restore, takes
/// the path locks and records one job per root (through <see cref="WriteRequests"/>, like every write). The trash's
/// job handlers carry them out; the retention schedule purges through here too.
/// </summary>
public sealed class TrashOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    WriteRequests requests,
    JobLedger jobs,
    JobEvents events)
{
    /// <summary>Puts trashed entries back where they were; one job per root.</summary>
    public async Task<Result<IReadOnlyList<long>>> RestoreAsync(
        AccessSubject actor, IReadOnlyList<long> trashIds, ConflictChoice conflicts, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayManyAsync(actor, idempotencyKey, cancellationToken) is { } replayedAll)
        {
            return replayedAll;
        }

        var items = await LoadTrashAsync(actor, trashIds, cancellationToken);
        if (!items.IsSuccess)
        {
            return items.Error!;
        }

        // Every root is planned before any job is queued: a conflict in the second root must not leave the first one's
        // job behind, which the same request sent again with a choice (and the same key) would answer with.
        var jobIds = new List<long>();
        var planned = new List<(StorageRoot Root, RestorePayload Payload, List<string> LockPaths, string? Key)>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var group in items.Value.GroupBy(i => i.RootId))
        {
            var root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == group.Key, cancellationToken);
            var key = idempotencyKey is null ? null : $"{idempotencyKey}:{root.Id}";
            if (await requests.ReplayAsync(actor, key, cancellationToken) is { } replayed)
            {
                if (!replayed.IsSuccess)
                {
                    return replayed.Error!;
                }

                jobIds.Add(replayed.Value);
                continue;
            }

            var health = await requests.CheckHealthAsync(root, cancellationToken);
            if (health is not null)
            {
                return health;
            }

            var targets = new List<RestoreTarget>();
            var skipped = new List<string>();
            var byFolder = group.GroupBy(i => CatalogChanges.ParentOf(i.OriginalPath));
            foreach (var folder in byFolder)
            {
                if (!await access.CanRestoreAsync(actor, root.Id, folder.First().OriginalPath, cancellationToken))
                {
                    return new Error("auth.forbidden", $"You may not restore into \"{folder.Key}\".");
                }

                var parent = await db.Entries.AsNoTracking()
                    .SingleOrDefaultAsync(e => e.RootId == root.Id && e.RelativePath == folder.Key && e.State == EntryState.Active && e.Kind == EntryKind.Directory, cancellationToken);
                WriteRequests.TargetPlan plan;
                if (parent is null)
                {
                    // The folder is gone: it is re-created, and nothing can be in the way.
                    plan = new WriteRequests.TargetPlan(folder.ToDictionary(i => i.EntryId, i => new WriteRequests.PlannedTarget(i.Name, null, null)), []);
                }
                else
                {
                    var folderPlan = await WriteRequests.PlanTargetsAsync(db, writeAccess, actor, root, parent, folder.Select(i => (i.EntryId, i.Name, i.Kind, false)).ToList(), conflicts, cancellationToken);
                    if (!folderPlan.IsSuccess)
                    {
                        return folderPlan.Error!;
                    }

                    plan = folderPlan.Value;
                }

                skipped.AddRange(plan.Skipped);
                foreach (var item in folder)
                {
                    if (plan.Targets.TryGetValue(item.EntryId, out var target))
                    {
                        targets.Add(new RestoreTarget(item.Id, CatalogChanges.Join(folder.Key, target.Name), target.ReplaceId, target.ReplacePath));
                    }
                }
            }

            var lockPaths = targets.Select(t => t.Target).Concat(group.Select(i => i.TrashPath)).ToList();
            planned.Add((root, new RestorePayload(root.Id, targets, skipped), lockPaths, key));
        }

        foreach (var (root, payload, lockPaths, key) in planned)
        {
            var job = await requests.EnqueueAsync(actor, "restore", JobQueues.Restore, payload, root, lockPaths, key, cancellationToken);
            if (!job.IsSuccess)
            {
                return job.Error!;
            }

            jobIds.Add(job.Value);
        }

        return jobIds;
    }

    /// <summary>The names of <paramref name="trashIds"/> already taken in the folders they would be restored into.</summary>
    public async Task<Result<IReadOnlyList<string>>> FindRestoreConflictsAsync(AccessSubject actor, IReadOnlyList<long> trashIds, CancellationToken cancellationToken)
    {
        var items = await LoadTrashAsync(actor, trashIds, cancellationToken);
        if (!items.IsSuccess)
        {
            return items.Error!;
        }

        var names = new List<string>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var folder in items.Value.GroupBy(i => (i.RootId, Folder: CatalogChanges.ParentOf(i.OriginalPath))))
        {
            var parentId = await db.Entries.AsNoTracking()
                .Where(e => e.RootId == folder.Key.RootId && e.RelativePath == folder.Key.Folder && e.State == EntryState.Active && e.Kind == EntryKind.Directory)
                .Select(e => (long?)e.Id).SingleOrDefaultAsync(cancellationToken);
            if (parentId is not { } id)
            {
                continue;
            }

            var taken = await WriteRequests.TakenKeysAsync(db, id, cancellationToken);
            names.AddRange(folder.Where(i => taken.ContainsKey(EntryName.Key(i.Name))).Select(i => i.Name));
        }

        return names;
    }

    /// <summary>
    /// Deletes trashed entries for good; with no ids, all of the actor's (an admin's: everyone's) that they may still
    /// purge. Needs Delete on each item's folder still (R-OP-8: a user whose grant was reduced to read cannot purge).
    /// </summary>
    public async Task<Result<IReadOnlyList<long>>> PurgeAsync(
        AccessSubject actor, IReadOnlyList<long>? trashIds, CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        if (await ReplayManyAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        IReadOnlyList<TrashItem> items;
        if (trashIds is null)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var all = await db.TrashItems.AsNoTracking()
                .Where(t => t.State == TrashItemState.InTrash && (actor.IsAdministrator || t.DeletedById == actor.UserId))
                .ToListAsync(cancellationToken);
            // Emptying the trash takes what the actor may delete and leaves the rest.
            var allowed = new List<TrashItem>(all.Count);
            foreach (var item in all)
            {
                if (await access.CanPurgeAsync(actor, item.RootId, item.OriginalPath, cancellationToken)
                    && (await access.GetTrashedAsync(actor, item.RootId, item.OriginalPath, item.TrashPath, cancellationToken)).CanRead)
                {
                    allowed.Add(item);
                }
            }

            if (allowed.Count == 0 && all.Count > 0)
            {
                return new Error("auth.forbidden", "You may not delete these items for good.");
            }

            items = allowed;
        }
        else
        {
            var loaded = await LoadTrashAsync(actor, trashIds, cancellationToken);
            if (!loaded.IsSuccess)
            {
                return loaded.Error!;
            }

            foreach (var item in loaded.Value)
            {
                if (!await access.CanPurgeAsync(actor, item.RootId, item.OriginalPath, cancellationToken))
                {
                    return new Error("auth.forbidden", $"You may not delete \"{item.Name}\" for good.");
                }
            }

            items = loaded.Value;
        }

        return await EnqueuePurgeAsync(actor.UserId, items, idempotencyKey, cancellationToken);
    }

    internal async Task<Result<IReadOnlyList<long>>> EnqueuePurgeAsync(Guid owner, IReadOnlyList<TrashItem> items, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var jobIds = new List<long>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var group in items.GroupBy(i => i.RootId))
        {
            var root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == group.Key, cancellationToken);
            var payload = new PurgePayload(root.Id, group.Select(i => i.Id).ToList());
            var job = await jobs.EnqueueAsync(owner, new NewJob("purge", JobQueues.Cleanup, JsonSerializer.Serialize(payload, JobRun.Json),
                idempotencyKey is null ? null : $"{idempotencyKey}:{root.Id}"), cancellationToken);
            if (!job.IsSuccess)
            {
                return job.Error!;
            }

            jobIds.Add(job.Value);
        }

        await events.NotifyQueuedAsync();
        return jobIds;
    }

    private async Task<Result<IReadOnlyList<TrashItem>>> LoadTrashAsync(AccessSubject actor, IReadOnlyList<long> trashIds, CancellationToken cancellationToken)
    {
        var ids = trashIds.Distinct().ToArray();
        if (ids.Length is 0 or > WriteRequests.MaxItems)
        {
            return new Error("operation.selection", $"Select 1 to {WriteRequests.MaxItems} items.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var items = await db.TrashItems.AsNoTracking()
            .Where(t => ids.Contains(t.Id) && t.State == TrashItemState.InTrash && (actor.IsAdministrator || t.DeletedById == actor.UserId))
            .ToListAsync(cancellationToken);
        foreach (var item in items)
        {
            // An item the actor may not read (a denied folder someone else's change sent here) is as good as absent.
            if (!(await access.GetTrashedAsync(actor, item.RootId, item.OriginalPath, item.TrashPath, cancellationToken)).CanRead)
            {
                return new Error("trash.not_found", "Some of the items are no longer in the trash.");
            }
        }

        return items.Count == ids.Length ? items : new Error("trash.not_found", "Some of the items are no longer in the trash.");
    }

    /// <summary>The jobs of an earlier restore or purge with the same key (one per root, keyed "key:root"); null when the key is new.</summary>
    private async Task<Result<IReadOnlyList<long>>?> ReplayManyAsync(AccessSubject actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null)
        {
            return null;
        }

        var earlier = await jobs.FindByKeyPrefixAsync(actor.UserId, idempotencyKey + ":", cancellationToken);
        if (earlier.Count == 0)
        {
            return null;
        }

        return Result<IReadOnlyList<long>>.Success(earlier);
    }
}
