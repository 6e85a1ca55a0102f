using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Operations;
public enum TransferKind
{
    Move,
    Copy,
}

/// <summary>A request refused because names are taken; the caller asks the user and sends it again with a choice.</summary>
public sealed record NameConflicts(IReadOnlyList<string> Names);

internal sealed record TransferItem(long EntryId, string Path, string Name, EntryKind Kind, string Target, long? ReplaceEntryId, string? ReplacePath);

internal sealed record TransferPayload(int RootId, long DestinationId, string Destination, IReadOnlyList<TransferItem> Items, long TotalBytes, IReadOnlyList<string> Skipped);

/// <summary>
/// Move, copy and delete to trash, as requested by a user: checks access, the names and the root's
/// health, settles name conflicts (ask, skip, keep both, replace), takes the path locks at once (a conflicting request
/// fails now with "in use by …"), and records the job (DESIGN invariant 4). The job runner carries it out.
/// </summary>
public sealed class FileOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    WriteRequests requests)
{
    /// <summary>The names of <paramref name="entryIds"/> already taken in the destination folder.</summary>
    public async Task<Result<IReadOnlyList<string>>> FindConflictsAsync(AccessSubject actor, IReadOnlyList<long> entryIds, long destinationId, CancellationToken cancellationToken)
    {
        var sources = await requests.LoadAsync(actor, entryIds, cancellationToken);
        if (!sources.IsSuccess)
        {
            return sources.Error!;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var taken = await WriteRequests.TakenKeysAsync(db, destinationId, cancellationToken);
        return sources.Value.Entries.Where(e => e.ParentId == destinationId || taken.ContainsKey(EntryName.Key(e.Name))).Select(e => e.Name).ToList();
    }

    public async Task<Result<long>> TransferAsync(
        AccessSubject actor, TransferKind kind, IReadOnlyList<long> entryIds, long destinationId, ConflictChoice conflicts, string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        if (await requests.ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var loaded = await requests.LoadAsync(actor, entryIds, cancellationToken);
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

        var plan = await WriteRequests.PlanTargetsAsync(db, writeAccess, actor, root, destination, sources.Select(s => (s.Id, s.Name, s.Kind, Moving: kind == TransferKind.Move && s.ParentId == destinationId)).ToList(),
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
        return await requests.EnqueueAsync(actor, type, kind == TransferKind.Move ? JobQueues.Move : JobQueues.Copy, payload, root, lockPaths, idempotencyKey, cancellationToken);
    }

    /// <summary>Moves entries to their root's trash.</summary>
    public async Task<Result<long>> DeleteAsync(AccessSubject actor, IReadOnlyList<long> entryIds, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await requests.ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var loaded = await requests.LoadAsync(actor, entryIds, cancellationToken);
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
        return await requests.EnqueueAsync(actor, "delete", JobQueues.Delete, payload, root, tops.Select(s => s.RelativePath).ToList(), idempotencyKey, cancellationToken);
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
}
