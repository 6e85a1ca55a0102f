using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using FileVault.Core.Catalog;

namespace FileVault.Core.Access;

/// <summary>A folder addressed by id, as an operation that writes into it first finds it.</summary>
internal static class FolderLookup
{
    /// <summary>
    /// The active folder <paramref name="folderId"/> and its root, when <paramref name="actor"/> may read it:
    /// <c>entry.not_found</c> when it is gone or unreadable (R-AUTH-1: no difference between the two),
    /// <c>entry.not_a_folder</c> for a file or link. Write access is the caller's to ask, on the path it writes.
    /// </summary>
    public static async Task<Result<(Entry Folder, StorageRoot Root)>> FindReadableAsync(
        FileVaultDbContext db, AccessEvaluator access, AccessSubject actor, long folderId, CancellationToken cancellationToken)
    {
        // One round trip for both: every upload asks this twice (at creation and at completion).
        var found = await db.Entries.AsNoTracking().Where(e => e.Id == folderId && e.State == EntryState.Active)
            .Join(db.StorageRoots.AsNoTracking(), e => e.RootId, r => r.Id, (e, r) => new { Folder = e, Root = r })
            .SingleOrDefaultAsync(cancellationToken);
        return await ReadableAsync(access, actor, found?.Folder, found?.Root, cancellationToken);
    }

    /// <summary>
    /// What <see cref="FindReadableAsync"/> answers for a folder's row and its root read by the caller (null: no active
    /// entry with that id), for a caller that asks more in the same query.
    /// </summary>
    public static async Task<Result<(Entry Folder, StorageRoot Root)>> ReadableAsync(
        AccessEvaluator access, AccessSubject actor, Entry? folder, StorageRoot? root, CancellationToken cancellationToken)
    {
        if (folder is null || root is null || !await access.CanReadAsync(actor, root.Id, folder.RelativePath, cancellationToken))
        {
            return new Error("entry.not_found", "No such folder.");
        }

        return folder.Kind == EntryKind.Directory ? (folder, root) : new Error("entry.not_a_folder", "That entry is not a folder.");
    }
}
