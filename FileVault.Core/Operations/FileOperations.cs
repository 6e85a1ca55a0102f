using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Operations;

/// <summary>What to do when a name is taken at the destination.</summary>
public enum ConflictChoice
{
    /// <summary>Refuse the request and list the names, so the user can choose.</summary>
    Ask = 0,
    Skip = 1,
    /// <summary>"name (1).ext".</summary>
    KeepBoth = 2,
    /// <summary>The entry already there goes to the trash.</summary>
    Replace = 3,
}

public enum TransferKind
{
    Move,
    Copy,
}

/// <summary>A request refused because names are taken; the caller asks the user and sends it again with a choice.</summary>
public sealed record NameConflicts(IReadOnlyList<string> Names);

internal sealed record TransferItem(long EntryId, string Path, string Name, EntryKind Kind, string Target, long? ReplaceEntryId, string? ReplacePath);

internal sealed record TransferPayload(int RootId, long DestinationId, string Destination, IReadOnlyList<TransferItem> Items, long TotalBytes, IReadOnlyList<string> Skipped);

internal sealed record TrashPayload(int RootId, IReadOnlyList<TrashTarget> Items);

internal sealed record TrashTarget(long EntryId, string Path, string Name);

internal sealed record RestorePayload(int RootId, IReadOnlyList<RestoreTarget> Items, IReadOnlyList<string> Skipped);

internal sealed record RestoreTarget(long TrashId, string Target, long? ReplaceEntryId, string? ReplacePath);

internal sealed record PurgePayload(int RootId, IReadOnlyList<long> TrashIds);

/// <summary>
/// Move, copy, delete to trash, restore and purge, as requested by a user: checks access, the names and the root's
/// health, settles name conflicts (ask, skip, keep both, replace), takes the path locks at once (a conflicting request
/// fails now with "in use by …"), and records the job (DESIGN invariant 4). The job runner carries it out.
/// </summary>
public sealed class FileOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    ResourceLocks locks,
    JobLedger jobs,
    JobEvents events,
    IOptions<JobOptions> jobOptions,
    IOptions<ScannerOptions> scanner)
{
    /// <summary>Most entries one request may name.</summary>
    public const int MaxItems = 10_000;

    /// <summary>The names of <paramref name="entryIds"/> already taken in the destination folder.</summary>
    public async Task<Result<IReadOnlyList<string>>> FindConflictsAsync(AccessSubject actor, IReadOnlyList<long> entryIds, long destinationId, CancellationToken cancellationToken)
    {
        var sources = await LoadAsync(actor, entryIds, cancellationToken);
        if (!sources.IsSuccess)
        {
            return sources.Error!;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var taken = await TakenKeysAsync(db, destinationId, cancellationToken);
        return sources.Value.Entries.Where(e => e.ParentId == destinationId || taken.ContainsKey(EntryName.Key(e.Name))).Select(e => e.Name).ToList();
    }

    public async Task<Result<long>> TransferAsync(
        AccessSubject actor, TransferKind kind, IReadOnlyList<long> entryIds, long destinationId, ConflictChoice conflicts, string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var loaded = await LoadAsync(actor, entryIds, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Error!;
        }

        var (root, sources) = loaded.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var destination = await db.Entries.AsNoTracking()
            .SingleOrDefaultAsync(e => e.Id == destinationId && e.State == EntryState.Active && e.Kind == EntryKind.Directory, cancellationToken);
        if (destination is null || !await access.CanReadAsync(actor, destination.RootId, destination.RelativePath, cancellationToken))
        {
            return new Error("entry.not_found", "The destination folder does not exist.");
        }

        if (destination.RootId != root.Id)
        {
            return new Error("transfer.cross_root", "Moving or copying between storage roots is not supported yet; download and upload instead.");
        }

        if (!await access.CanWriteAsync(actor, root.Id, destination.RelativePath, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not add to the destination folder.");
        }

        foreach (var source in sources)
        {
            if (destination.RelativePath == source.RelativePath || destination.RelativePath.StartsWith(source.RelativePath + "/", StringComparison.Ordinal))
            {
                return new Error("transfer.into_itself", $"\"{source.Name}\" cannot be put inside itself.");
            }

            if (kind == TransferKind.Move && await writeAccess.ToTakeAwayAsync(actor, root.Id, source.RelativePath, source.Name, cancellationToken) is { } denied)
            {
                return denied;
            }
        }

        if (kind == TransferKind.Move && sources.All(s => s.ParentId == destinationId))
        {
            return new Error("transfer.same_folder", "The items are already in that folder.");
        }

        var plan = await PlanTargetsAsync(db, writeAccess, actor, root, destination, sources.Select(s => (s.Id, s.Name, s.Kind, Moving: kind == TransferKind.Move && s.ParentId == destinationId)).ToList(),
            conflicts, cancellationToken);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        var items = new List<TransferItem>();
        foreach (var source in sources)
        {
            if (plan.Value.Targets.TryGetValue(source.Id, out var target))
            {
                items.Add(new TransferItem(source.Id, source.RelativePath, source.Name, source.Kind, target.Name, target.ReplaceId, target.ReplacePath));
            }
        }

        var totalBytes = kind == TransferKind.Copy ? await SubtreeBytesAsync(db, root.Id, items.Select(i => i.Path), cancellationToken) : 0;
        var payload = new TransferPayload(root.Id, destination.Id, destination.RelativePath, items, totalBytes, plan.Value.Skipped);
        var lockPaths = items.SelectMany(i => kind == TransferKind.Move
            ? new[] { i.Path, CatalogChanges.Join(destination.RelativePath, i.Target) }
            : [CatalogChanges.Join(destination.RelativePath, i.Target)]).ToList();
        var type = kind == TransferKind.Move ? "move" : "copy";
        return await EnqueueAsync(actor, type, kind == TransferKind.Move ? JobQueues.Move : JobQueues.Copy, payload, root, lockPaths, idempotencyKey, cancellationToken);
    }

    /// <summary>Moves entries to their root's trash.</summary>
    public async Task<Result<long>> DeleteAsync(AccessSubject actor, IReadOnlyList<long> entryIds, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var loaded = await LoadAsync(actor, entryIds, cancellationToken);
        if (!loaded.IsSuccess)
        {
            return loaded.Error!;
        }

        var (root, sources) = loaded.Value;
        foreach (var source in sources)
        {
            if (await writeAccess.ToTakeAwayAsync(actor, root.Id, source.RelativePath, source.Name, cancellationToken) is { } denied)
            {
                return denied;
            }
        }

        // Entries inside another selected folder go with it.
        var tops = sources.Where(s => !sources.Any(o => s.RelativePath.StartsWith(o.RelativePath + "/", StringComparison.Ordinal))).ToList();
        var payload = new TrashPayload(root.Id, tops.Select(s => new TrashTarget(s.Id, s.RelativePath, s.Name)).ToList());
        return await EnqueueAsync(actor, "delete", JobQueues.Delete, payload, root, tops.Select(s => s.RelativePath).ToList(), idempotencyKey, cancellationToken);
    }

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
            if (await ReplayAsync(actor, key, cancellationToken) is { } replayed)
            {
                if (!replayed.IsSuccess)
                {
                    return replayed.Error!;
                }

                jobIds.Add(replayed.Value);
                continue;
            }

            var health = await CheckHealthAsync(root, cancellationToken);
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
                TargetPlan plan;
                if (parent is null)
                {
                    // The folder is gone: it is re-created, and nothing can be in the way.
                    plan = new TargetPlan(folder.ToDictionary(i => i.EntryId, i => new PlannedTarget(i.Name, null, null)), []);
                }
                else
                {
                    var folderPlan = await PlanTargetsAsync(db, writeAccess, actor, root, parent, folder.Select(i => (i.EntryId, i.Name, i.Kind, false)).ToList(), conflicts, cancellationToken);
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
            var job = await EnqueueAsync(actor, "restore", JobQueues.Restore, payload, root, lockPaths, key, cancellationToken);
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

            var taken = await TakenKeysAsync(db, id, cancellationToken);
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

    internal async Task<Result<long>> EnqueueAsync<T>(
        AccessSubject actor, string type, string queue, T payload, StorageRoot root, IReadOnlyList<string> lockPaths, string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        if (await CheckHealthAsync(root, cancellationToken) is { } unhealthy)
        {
            return unhealthy;
        }

        var who = await LockRequest.HolderNameAsync(contexts, actor.UserId, cancellationToken);
        var acquired = await locks.AcquireAsync(new LockRequest(root.Id, Coarsen(lockPaths), type, who), jobOptions.Value.LockTtl, cancellationToken);
        if (!acquired.IsSuccess)
        {
            return acquired.Error!;
        }

        var lease = acquired.Value;
        var job = await jobs.EnqueueAsync(actor.UserId, new NewJob(type, queue, JsonSerializer.Serialize(payload, JobRun.Json), idempotencyKey,
            JsonSerializer.Serialize(lease.ToHeld(), JobRun.Json)), CancellationToken.None);
        if (!job.IsSuccess)
        {
            await lease.DisposeAsync();
            return job.Error!;
        }

        // The job holds the locks now; the runner renews them while it waits and releases them when it ends.
        lease.Detach();
        await events.NotifyQueuedAsync();
        return job.Value;
    }

    /// <summary>Most paths one job locks one by one; more are locked by their folders (each renewal and fencing check walks them all).</summary>
    internal const int MaxLockPaths = 64;

    /// <summary>
    /// The paths to lock: as given, or — for a big selection — their parent folders, which covers them (locks are
    /// hierarchical) at the price of also holding their siblings.
    /// </summary>
    internal static IReadOnlyList<string> Coarsen(IReadOnlyList<string> paths)
    {
        var distinct = paths.Distinct(StringComparer.Ordinal).ToList();
        while (distinct.Count > MaxLockPaths)
        {
            var parents = distinct.Select(CatalogChanges.ParentOf).Distinct(StringComparer.Ordinal).ToList();
            // A path and its ancestor would both be listed: keep the ancestor only.
            distinct = parents.Where(p => !parents.Any(a => a != p && (a.Length == 0 || p.StartsWith(a + "/", StringComparison.Ordinal)))).ToList();
        }

        return distinct;
    }

    internal sealed record PlannedTarget(string Name, long? ReplaceId, string? ReplacePath);

    internal sealed record TargetPlan(Dictionary<long, PlannedTarget> Targets, List<string> Skipped);

    /// <summary>
    /// Each source's name in the destination, by the conflict choice; <c>name.conflict</c> listing the names for Ask.
    /// Replacing an entry needs what <see cref="WriteAccess.ToReplaceAsync"/> says, or the conflict stays one; a taken
    /// name the actor cannot read is called unavailable, and nothing else about what holds it is told.
    /// </summary>
    internal static async Task<Result<TargetPlan>> PlanTargetsAsync(
        FileVaultDbContext db, WriteAccess access, AccessSubject actor, StorageRoot root, Entry destination,
        IReadOnlyList<(long Id, string Name, EntryKind Kind, bool SameFolder)> sources, ConflictChoice conflicts, CancellationToken cancellationToken)
    {
        var taken = await TakenKeysAsync(db, destination.Id, cancellationToken);
        var targets = new Dictionary<long, PlannedTarget>();
        var skipped = new List<string>();
        var conflicting = sources.Where(s => taken.ContainsKey(EntryName.Key(s.Name)) || s.SameFolder).ToList();
        if (conflicting.Count > 0 && conflicts == ConflictChoice.Ask)
        {
            var shown = new List<string>();
            var unavailable = new List<string>();
            foreach (var source in conflicting)
            {
                var readable = source.SameFolder || !taken.TryGetValue(EntryName.Key(source.Name), out var holder)
                    || await access.CanReadAsync(actor, root.Id, holder.RelativePath, cancellationToken);
                (readable ? shown : unavailable).Add(source.Name);
            }

            return new Error("name.conflict", string.Join(" ", new[]
            {
                shown.Count == 0 ? null : "Already in the destination: " + Quote(shown) + ".",
                unavailable.Count == 0 ? null : "Unavailable in the destination: " + Quote(unavailable) + ".",
                "Choose skip, keep both or replace.",
            }.Where(part => part is not null)));
        }

        var destinationOnDisk = PathGuard.ResolveForWrite(root.Path, destination.RelativePath);
        if (!destinationOnDisk.IsSuccess)
        {
            return destinationOnDisk.Error!;
        }

        var claimed = new HashSet<string>(taken.Keys, StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var key = EntryName.Key(source.Name);
            if (!taken.TryGetValue(key, out var existing) && !source.SameFolder && claimed.Add(key))
            {
                targets[source.Id] = new PlannedTarget(source.Name, null, null);
                continue;
            }

            switch (conflicts)
            {
                case ConflictChoice.Skip:
                    skipped.Add(source.Name);
                    break;
                case ConflictChoice.Replace when existing is not null && existing.Id != source.Id && !source.SameFolder:
                    if (await access.ToReplaceAsync(actor, root.Id, existing.RelativePath, source.Name, cancellationToken) is { } refused)
                    {
                        return refused;
                    }

                    targets[source.Id] = new PlannedTarget(existing.Name, existing.Id, existing.RelativePath);
                    break;
                default:
                    var name = CatalogChanges.KeepBothName(source.Name, source.Kind == EntryKind.Directory,
                        candidate => claimed.Contains(EntryName.Key(candidate)) || NativeFileSystem.LinkExists(Path.Join(destinationOnDisk.Value, candidate)));
                    claimed.Add(EntryName.Key(name));
                    targets[source.Id] = new PlannedTarget(name.Normalize(NormalizationForm.FormC), null, null);
                    break;
            }
        }

        return new TargetPlan(targets, skipped);
    }

    private static string Quote(List<string> names) =>
        string.Join(", ", names.Take(20).Select(n => $"\"{n}\"")) + (names.Count > 20 ? $" and {names.Count - 20} more" : "");

    internal sealed record TakenEntry(long Id, string Name, string RelativePath);

    internal static async Task<Dictionary<string, TakenEntry>> TakenKeysAsync(FileVaultDbContext db, long folderId, CancellationToken cancellationToken)
    {
        var rows = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active)
            .Select(e => new { e.Id, e.Name, e.NameKey, e.RelativePath })
            .ToListAsync(cancellationToken);
        var taken = new Dictionary<string, TakenEntry>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            taken.TryAdd(row.NameKey, new TakenEntry(row.Id, row.Name, row.RelativePath));
        }

        return taken;
    }

    internal async Task<Result<(StorageRoot Root, List<Entry> Entries)>> LoadAsync(AccessSubject actor, IReadOnlyList<long> entryIds, CancellationToken cancellationToken)
    {
        var ids = entryIds.Distinct().ToArray();
        if (ids.Length is 0 or > MaxItems)
        {
            return new Error("operation.selection", $"Select 1 to {MaxItems} items.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entries = await db.Entries.AsNoTracking().Where(e => ids.Contains(e.Id) && e.State == EntryState.Active).ToListAsync(cancellationToken);
        if (entries.Count != ids.Length || entries.Select(e => e.RootId).Distinct().Count() != 1)
        {
            return new Error("entry.not_found", entries.Count != ids.Length ? "Some of the items no longer exist." : "Select items of one storage root.");
        }

        var root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == entries[0].RootId, cancellationToken);
        foreach (var entry in entries)
        {
            if (!await access.CanReadAsync(actor, root.Id, entry.RelativePath, cancellationToken))
            {
                return new Error("entry.not_found", "Some of the items no longer exist.");
            }

            if (entry.RelativePath.Length == 0)
            {
                return new Error("entry.root", "The root itself cannot be changed.");
            }

            if (!entry.NameIsValid)
            {
                return new Error("path.invalid_name", $"\"{entry.Name}\" has a name that is not valid UTF-8; rename it on the server first.");
            }
        }

        return (root, entries.OrderBy(e => Array.IndexOf(ids, e.Id)).ToList());
    }

    private async Task<Result<IReadOnlyList<TrashItem>>> LoadTrashAsync(AccessSubject actor, IReadOnlyList<long> trashIds, CancellationToken cancellationToken)
    {
        var ids = trashIds.Distinct().ToArray();
        if (ids.Length is 0 or > MaxItems)
        {
            return new Error("operation.selection", $"Select 1 to {MaxItems} items.");
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

    internal static async Task<long> SubtreeBytesAsync(FileVaultDbContext db, int rootId, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var path in paths)
        {
            total += await db.Database.SqlQuery<long>($"""
                SELECT COALESCE(sum(size), 0)::bigint AS "Value" FROM entries
                WHERE root_id = {rootId} AND state = 0 AND kind = 1
                  AND (relative_path = {path} OR (relative_path > {path + "/"} AND relative_path < {path + "0"}))
                """).SingleAsync(cancellationToken);
        }

        return total;
    }

    private async Task<Error?> CheckHealthAsync(StorageRoot root, CancellationToken cancellationToken)
    {
        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        return health.IsHealthy ? null : new Error("root.unhealthy", "The storage is not available right now; nothing was changed. " + health.Problem!.Message);
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

    internal async Task<Result<long>?> ReplayAsync(AccessSubject actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null || await jobs.FindAsync(actor.UserId, idempotencyKey, cancellationToken) is not { } earlier)
        {
            return null;
        }

        return earlier.Id;
    }
}
