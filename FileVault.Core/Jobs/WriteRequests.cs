using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Jobs;

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

/// <summary>
/// What every write request (move, copy, delete, compress, restore) does before the disk is touched: loads what it
/// names with the actor's read checks, settles name conflicts, checks the root's health, takes the path locks and
/// records the job (a write is a job row first). Operations and Trash both ask it; it asks nothing of them.
/// </summary>
public sealed class WriteRequests(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    ResourceLocks locks,
    JobLedger jobs,
    JobEvents events,
    IOptions<JobOptions> jobOptions,
    IOptions<ScannerOptions> scanner)
{
    /// <summary>Most entries one request may name.</summary>
    public const int MaxItems = 10_000;

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

    internal async Task<Error?> CheckHealthAsync(StorageRoot root, CancellationToken cancellationToken)
    {
        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        return health.IsHealthy ? null : new Error("root.unhealthy", "The storage is not available right now; nothing was changed. " + health.Problem!.Message);
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
