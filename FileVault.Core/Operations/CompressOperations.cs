using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Operations;

internal sealed record CompressSource(long EntryId, string Path, string Name);

/// <summary>
/// A compress job's input: the selection (siblings in <see cref="Folder"/>) and the archive's name there, or none
/// when the user chose to skip a name already taken.
/// </summary>
internal sealed record CompressPayload(
    int RootId, long FolderId, string Folder, string? ArchiveName, IReadOnlyList<CompressSource> Sources, long? ReplaceEntryId, string? ReplacePath,
    long TotalBytes, IReadOnlyList<string> Skipped);

/// <summary>
/// "Compress into a .zip here", as requested by a user: the selected entries (siblings) are read, a ZIP is written into
/// their folder. Checks read access on every source, write access on the folder, the archive's name (path guard rules
/// for new names, ".zip" appended) and the root's health, settles a name conflict like the other operations (ask,
/// skip, keep both, replace), locks the archive's path and the sources (nobody moves them while they are read), and
/// records the job; <see cref="CompressJobHandler"/> writes the archive.
/// </summary>
public sealed class CompressOperations(IDbContextFactory<FileVaultDbContext> contexts, AccessEvaluator access, WriteAccess writeAccess, WriteRequests requests)
{
    /// <summary>The name of an archive of several entries of a root's top folder, which has no name of its own.</summary>
    public const string DefaultArchiveName = "Archive.zip";

    private const string ZipExtension = ".zip";

    /// <summary>
    /// Queues a job that compresses <paramref name="entryIds"/> (entries of one folder) into a ZIP in that folder;
    /// returns the job's id. With no <paramref name="archiveName"/>: "&lt;name&gt;.zip" for one entry, "&lt;folder&gt;.zip"
    /// for several (<see cref="DefaultArchiveName"/> in a root's top folder). A finished job's
    /// <see cref="Job.ResultEntryId"/> is the archive's entry and its summary a <see cref="CompressSummary"/>.
    /// </summary>
    /// <remarks>
    /// Errors: <c>operation.selection</c>, <c>entry.not_found</c> (an item gone or unreadable), <c>compress.mixed_folders</c>,
    /// <c>auth.forbidden</c> (no write access to the folder), <c>path.*</c> (the name), <c>name.conflict</c> (with
    /// <see cref="ConflictChoice.Ask"/>, naming the archive), <c>compress.replaces_source</c>, <c>root.unhealthy</c>,
    /// <c>lock.conflict</c>, <c>lock.unavailable</c>.
    /// </remarks>
    public async Task<Result<long>> CompressAsync(
        AccessSubject actor, IReadOnlyList<long> entryIds, string? archiveName, ConflictChoice conflicts, string? idempotencyKey,
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
        if (sources.Select(s => s.ParentId).Distinct().Count() != 1)
        {
            return new Error("compress.mixed_folders", "Select items of one folder to compress them together.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await db.Entries.AsNoTracking()
            .SingleOrDefaultAsync(e => e.Id == sources[0].ParentId && e.State == EntryState.Active && e.Kind == EntryKind.Directory, cancellationToken);
        if (folder is null)
        {
            return new Error("entry.not_found", "The folder of these items no longer exists.");
        }

        if (!await access.CanWriteAsync(actor, root.Id, folder.RelativePath, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not add to this folder.");
        }

        var name = ArchiveNameFor(archiveName, sources, folder);
        if (!name.IsSuccess)
        {
            return name.Error!;
        }

        var planned = await PlanAsync(db, writeAccess, actor, root, folder, name.Value, conflicts, cancellationToken);
        if (!planned.IsSuccess)
        {
            return planned.Error!;
        }

        var (target, replaceId, replacePath) = planned.Value;
        if (replaceId is { } replaced && sources.Any(s => s.Id == replaced))
        {
            return new Error("compress.replaces_source", $"\"{target}\" is one of the items being compressed; choose keep both or another name.");
        }

        var items = sources.Select(s => new CompressSource(s.Id, s.RelativePath, s.Name)).ToList();
        var totalBytes = target is null ? 0 : await FileOperations.SubtreeBytesAsync(db, root.Id, items.Select(i => i.Path), cancellationToken);
        var payload = new CompressPayload(root.Id, folder.Id, folder.RelativePath, target, items, replaceId, replacePath, totalBytes,
            target is null ? [name.Value] : []);
        // Nothing to lock when the archive is skipped: the job only reports that.
        var lockPaths = target is null ? [] : items.Select(i => i.Path).Append(CatalogChanges.Join(folder.RelativePath, target)).ToList();
        return await requests.EnqueueAsync(actor, "compress", JobQueues.Compress, payload, root, lockPaths, idempotencyKey, cancellationToken);
    }

    /// <summary>The archive's name: the requested one with ".zip" added when missing, or the default; in NFC, through the path guard's rules for new names.</summary>
    internal static Result<string> ArchiveNameFor(string? requested, IReadOnlyList<Entry> sources, Entry folder)
    {
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return RequestedArchiveName(requested);
        }

        var stem = sources.Count == 1 ? sources[0].Name : folder.RelativePath.Length == 0 ? null : folder.Name;
        // A name that cannot take ".zip" (too long, a Windows device name) falls back to the neutral default.
        return stem is not null && PathGuard.CheckNewName(stem + ZipExtension) is { IsSuccess: true } fromEntry ? fromEntry : DefaultArchiveName;
    }

    /// <summary>A name a user gave an archive: trimmed, ".zip" added when missing, in NFC, through the path guard's rules for new names.</summary>
    internal static Result<string> RequestedArchiveName(string requested)
    {
        var trimmed = requested.Trim();
        return PathGuard.CheckNewName(trimmed.EndsWith(ZipExtension, StringComparison.OrdinalIgnoreCase) ? trimmed : trimmed + ZipExtension);
    }

    /// <summary>
    /// The archive's final name (null: skipped) and the entry it replaces, by the conflict choice. The catalog decides
    /// first (as for moves and copies); a name taken on the disk but not yet catalogued counts as taken too.
    /// </summary>
    private static async Task<Result<(string? Name, long? ReplaceId, string? ReplacePath)>> PlanAsync(
        FileVaultDbContext db, WriteAccess access, AccessSubject actor, StorageRoot root, Entry folder, string name, ConflictChoice conflicts,
        CancellationToken cancellationToken)
    {
        var plan = await WriteRequests.PlanTargetsAsync(db, access, actor, root, folder, [(0, name, EntryKind.File, false)], conflicts, cancellationToken);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        if (!plan.Value.Targets.TryGetValue(0, out var target))
        {
            return (null, null, null);
        }

        var folderOnDisk = PathGuard.ResolveForWrite(root.Path, folder.RelativePath);
        if (!folderOnDisk.IsSuccess)
        {
            return folderOnDisk.Error!;
        }

        var folderPath = folderOnDisk.Value;
        if (target.ReplaceId is not null || !NativeFileSystem.LinkExists(Path.Join(folderPath, target.Name)))
        {
            return (target.Name, target.ReplaceId, target.ReplacePath);
        }

        switch (conflicts)
        {
            case ConflictChoice.Skip:
                return (null, null, null);
            case ConflictChoice.KeepBoth:
                var taken = await WriteRequests.TakenKeysAsync(db, folder.Id, cancellationToken);
                return (CatalogChanges.KeepBothName(target.Name, isFolder: false,
                    candidate => taken.ContainsKey(EntryName.Key(candidate)) || NativeFileSystem.LinkExists(Path.Join(folderPath, candidate))), null, null);
            default:
                // Replace needs the entry's catalog record to send it to the trash; the next scan brings it in.
                return new Error("name.conflict", $"Already in the folder: \"{target.Name}\" (not yet catalogued). Choose keep both or another name.");
        }
    }
}
