using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Uploads;

/// <summary>What one user may still send: the largest file, and what the per-user limits leave of unfinished uploads.</summary>
public sealed record UploadLimits(long MaxFileBytes, long StagingBytesLeft, int UploadsLeft);

/// <summary>A top-level name of a drop or pick that is already taken in the destination folder.</summary>
public sealed record TakenName(string Name, bool IsFolder);

/// <summary>
/// What the browser asks before it sends a byte: the limits to show, which of the names it is about to upload are taken
/// (so the user chooses skip or keep both first; folders merge), a free "name (1).ext", and the empty folders of a
/// folder upload, which carry no file to create them and are made as new folder makes them.
/// </summary>
public sealed class UploadPlanner(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    EntryOperations operations,
    IOptions<UploadOptions> options,
    TimeProvider time)
{
    public async Task<UploadLimits> LimitsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var settings = options.Value;
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var open = db.Uploads.Where(u => u.OwnerId == actor.UserId && u.Status == UploadStatus.Receiving && u.ExpiresAt > now);
        var count = await open.CountAsync(cancellationToken);
        var staged = await open.SumAsync(u => u.Length, cancellationToken);
        return new UploadLimits(settings.MaxSizeBytes, Math.Max(0, settings.MaxStagingBytesPerUser - staged), Math.Max(0, settings.MaxConcurrentPerUser - count));
    }

    /// <summary>Which of <paramref name="names"/> exist in the folder, compared as the catalog compares names (case, NFC).</summary>
    public async Task<Result<IReadOnlyList<TakenName>>> TakenNamesAsync(
        AccessSubject actor, long folderId, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!folder.IsSuccess)
        {
            return folder.Error!;
        }

        var byKey = names.Distinct(StringComparer.Ordinal).GroupBy(EntryName.Key).ToDictionary(g => g.Key, g => g.First());
        var keys = byKey.Keys.ToList();
        var taken = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active && keys.Contains(e.NameKey))
            .Select(e => new { e.NameKey, e.Kind })
            .ToListAsync(cancellationToken);
        return taken.Select(t => new TakenName(byKey[t.NameKey], t.Kind == EntryKind.Directory)).ToList();
    }

    /// <summary>"name (1).ext", "name (2).ext", …: the first name the folder does not hold.</summary>
    public async Task<Result<string>> FreeNameAsync(AccessSubject actor, long folderId, string name, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!folder.IsSuccess)
        {
            return folder.Error!;
        }

        var stem = EntryName.Key(Path.GetFileNameWithoutExtension(name));
        var siblings = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active && e.NameKey.StartsWith(stem))
            .Select(e => e.NameKey)
            .ToListAsync(cancellationToken);
        var taken = siblings.ToHashSet(StringComparer.Ordinal);
        return CatalogChanges.KeepBothName(name, isFolder: false, candidate => taken.Contains(EntryName.Key(candidate)));
    }

    /// <summary>
    /// The folder <paramref name="relativePath"/> ("a/b/empty") under <paramref name="folderId"/>, each missing level made
    /// through new folder (access, path guard, job, lock, catalog); levels already there are merged into. Its entry id.
    /// </summary>
    public async Task<Result<long>> EnsureFolderAsync(AccessSubject actor, long folderId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var parent = folderId;
        foreach (var name in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = EntryName.Key(name);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                var existing = await db.Entries.AsNoTracking()
                    .Where(e => e.ParentId == parent && e.State == EntryState.Active && e.NameKey == key)
                    .Select(e => new { e.Id, e.Kind })
                    .FirstOrDefaultAsync(cancellationToken);
                if (existing is { Kind: EntryKind.Directory })
                {
                    parent = existing.Id;
                    continue;
                }

                if (existing is not null)
                {
                    return new Error("name.conflict", $"\"{name}\" exists in this folder and is not a folder.");
                }
            }

            var created = await operations.CreateFolderAsync(actor, parent, name, idempotencyKey: null, cancellationToken);
            if (!created.IsSuccess)
            {
                return created.Error!;
            }

            parent = created.Value;
        }

        return parent;
    }
}
