using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Catalog;

/// <summary>
/// The catalog side of moves, copies, trash and restore: set-based statements over a subtree (an entry and every row
/// whose path starts with its path and a '/'). Each is idempotent, so a resumed job can run it again. Also the rows
/// several features write the same way: a folder's stamp, a new folder's row, a file FileVault put in place.
/// </summary>
internal static class CatalogChanges
{
    private static readonly FileExtensionContentTypeProvider MimeTypes = new();

    /// <summary>
    /// Moves an entry's row and its subtree from <paramref name="from"/> to <paramref name="to"/> (no-op when it is
    /// already there). Rows of entries gone from the disk that sat at the new path are dropped: the path is taken now.
    /// With <paramref name="state"/>, the subtree's rows get that state (trash, restore); rows already missing from the
    /// disk are dropped when going to the trash.
    /// </summary>
    /// <remarks>
    /// The folder grants on the entry and below it move too, in the caller's transaction: a deny must protect the
    /// folder under its new name (or in the trash, and again once restored), never stay behind on the old path where a
    /// new folder of that name would inherit it. Grants left on the new path by a folder that is gone are dropped with
    /// its rows. Callers bump <see cref="Access.AccessVersion"/> after committing, so cached answers are re-asked.
    /// </remarks>
    public static async Task MoveSubtreeAsync(
        FileVaultDbContext db, int rootId, long entryId, string from, string to, long? newParentId, string newName, EntryState? state,
        CancellationToken cancellationToken)
    {
        var current = await db.Entries.Where(e => e.Id == entryId).Select(e => e.RelativePath).SingleOrDefaultAsync(cancellationToken);
        if (current != from)
        {
            return;
        }

        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM entries WHERE root_id = {rootId} AND state = 2 AND id <> {entryId}
              AND (relative_path = {to} OR (relative_path > {to + "/"} AND relative_path < {to + "0"}))
            """, cancellationToken);
        if (state == EntryState.Trashed)
        {
            await db.Database.ExecuteSqlAsync($"""
                DELETE FROM entries WHERE root_id = {rootId} AND state = 2 AND relative_path > {from + "/"} AND relative_path < {from + "0"}
                """, cancellationToken);
        }

        await db.Database.ExecuteSqlAsync($"""
            DELETE FROM folder_grants WHERE root_id = {rootId}
              AND (relative_path = {to} OR (relative_path > {to + "/"} AND relative_path < {to + "0"}))
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE folder_grants SET relative_path = {to} || substring(relative_path from char_length({from}) + 1)
            WHERE root_id = {rootId} AND (relative_path = {from} OR (relative_path > {from + "/"} AND relative_path < {from + "0"}))
            """, cancellationToken);
        var stateValue = (short?)state;
        await db.Database.ExecuteSqlAsync($"""
            UPDATE entries SET relative_path = {to} || substring(relative_path from char_length({from}) + 1),
                               state = COALESCE({stateValue}, state)
            WHERE root_id = {rootId} AND relative_path > {from + "/"} AND relative_path < {from + "0"}
            """, cancellationToken);
        var extension = EntryName.Extension(newName);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE entries SET relative_path = {to}, name = {newName}, name_key = {EntryName.Key(newName)}, parent_id = {newParentId},
                               extension = CASE WHEN kind = 1 THEN {extension} ELSE extension END,
                               state = COALESCE({stateValue}, state), missing_since = NULL
            WHERE id = {entryId}
            """, cancellationToken);
    }

    /// <summary>
    /// Rows for a copied subtree at <paramref name="to"/>, from the source's rows (description, type, hash kept; the
    /// copy is the actor's upload, with the new files' device, inode and time read from the disk). Only entries that
    /// exist at the destination get a row; returns the new top entry's id.
    /// </summary>
    public static async Task<long?> CopySubtreeAsync(
        FileVaultDbContext db, StorageRoot root, long sourceId, string from, string to, long destinationParentId, string newName, Guid actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var top = PathGuard.ResolveForWrite(root.Path, to);
        if (!top.IsSuccess)
        {
            // The destination cannot be read safely now; the next scan catalogues what is there.
            return null;
        }

        var rows = await db.Database.SqlQuery<SubtreeRow>($"""
            SELECT id, relative_path FROM entries
            WHERE root_id = {root.Id} AND state = 0 AND (id = {sourceId} OR (relative_path > {from + "/"} AND relative_path < {from + "0"}))
            """).ToListAsync(cancellationToken);
        var ids = new List<long>(rows.Count);
        var devices = new List<long>(rows.Count);
        var inodes = new List<long>(rows.Count);
        var times = new List<DateTimeOffset>(rows.Count);
        var sizes = new List<long>(rows.Count);
        foreach (var row in rows)
        {
            var path = top.Value + row.RelativePath[from.Length..];
            var info = new FileInfo(path);
            if (!NativeFileSystem.LinkExists(path) || info.LinkTarget is not null)
            {
                continue;
            }

            var stat = UnixFileStat.TryGet(path);
            var modified = info.LastWriteTimeUtc;
            ids.Add(row.Id);
            devices.Add(unchecked((long)(stat?.Device ?? 0)));
            inodes.Add(unchecked((long)(stat?.Inode ?? 0)));
            times.Add(new DateTimeOffset(modified.Ticks - (modified.Ticks % 10), TimeSpan.Zero));
            sizes.Add(info.Attributes.HasFlag(FileAttributes.Directory) ? 0 : info.Length);
        }

        if (ids.Count == 0)
        {
            return null;
        }

        var topKey = EntryName.Key(newName);
        var topExtension = EntryName.Extension(newName);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, mime_type, content_hash,
                                 description, uploaded_by_id, uploaded_at, state, device, inode, name_is_valid, link_target)
            SELECT s.root_id, NULL,
                   CASE WHEN s.id = {sourceId} THEN {newName} ELSE s.name END,
                   CASE WHEN s.id = {sourceId} THEN {topKey} ELSE s.name_key END,
                   {to} || substring(s.relative_path from char_length({from}) + 1),
                   s.kind, d.size, d.modified,
                   CASE WHEN s.id = {sourceId} AND s.kind = 1 THEN {topExtension} ELSE s.extension END,
                   s.mime_type, s.content_hash, s.description, {actor}, {now}, 0, d.device, d.inode, s.name_is_valid, s.link_target
            FROM entries s
            JOIN unnest({ids.ToArray()}, {devices.ToArray()}, {inodes.ToArray()}, {times.ToArray()}, {sizes.ToArray()})
                 AS d(id, device, inode, modified, size) ON d.id = s.id
            ON CONFLICT (root_id, relative_path) DO UPDATE
            SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, kind = EXCLUDED.kind, size = EXCLUDED.size, modified_at = EXCLUDED.modified_at,
                extension = EXCLUDED.extension, mime_type = EXCLUDED.mime_type, content_hash = EXCLUDED.content_hash,
                description = EXCLUDED.description, uploaded_by_id = EXCLUDED.uploaded_by_id, uploaded_at = EXCLUDED.uploaded_at,
                state = 0, missing_since = NULL, device = EXCLUDED.device, inode = EXCLUDED.inode
            """, cancellationToken);
        // Link every new row to its parent: the top one to the destination folder, the others by path.
        await db.Database.ExecuteSqlAsync($"""
            UPDATE entries SET parent_id = {destinationParentId} WHERE root_id = {root.Id} AND relative_path = {to}
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE entries c SET parent_id = p.id
            FROM entries p
            WHERE c.root_id = {root.Id} AND c.relative_path > {to + "/"} AND c.relative_path < {to + "0"}
              AND p.root_id = {root.Id} AND p.relative_path = regexp_replace(c.relative_path, '/[^/]*$', '')
              AND c.parent_id IS DISTINCT FROM p.id
            """, cancellationToken);
        return await db.Entries.Where(e => e.RootId == root.Id && e.RelativePath == to).Select(e => (long?)e.Id).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>A change inside a folder changes its mtime: keep the catalog's in step, or the next incremental scan lists it for nothing.</summary>
    public static async Task TouchFolderAsync(FileVaultDbContext db, StorageRoot root, string folder, CancellationToken cancellationToken)
    {
        var resolved = PathGuard.ResolveForWrite(root.Path, folder);
        var path = resolved.IsSuccess ? resolved.Value : null;
        if (path is null || !Directory.Exists(path))
        {
            return;
        }

        var micros = MtimeOf(path);
        await db.Entries.Where(e => e.RootId == root.Id && e.RelativePath == folder && e.State == EntryState.Active)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.ModifiedAt, micros), cancellationToken);
    }

    /// <summary>The same, for a folder known by its id and its path on disk (already resolved by the caller).</summary>
    public static async Task TouchFolderAsync(FileVaultDbContext db, long folderId, string folderOnDisk, CancellationToken cancellationToken)
    {
        var micros = MtimeOf(folderOnDisk);
        await db.Entries.Where(e => e.Id == folderId).ExecuteUpdateAsync(s => s.SetProperty(e => e.ModifiedAt, micros), cancellationToken);
    }

    /// <summary>
    /// The catalog row of a folder FileVault just made (new folder, a folder upload's subfolder, a restore's missing
    /// parent) at <paramref name="path"/>, stat'ed from <paramref name="folderOnDisk"/>; a missing row left at that path
    /// by an earlier scan is the old folder's record and is reused. Returns the row's id.
    /// </summary>
    public static async Task<long> InsertFolderRowAsync(
        FileVaultDbContext db, int rootId, long parentId, string name, string path, string folderOnDisk, Guid? actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var stat = UnixFileStat.TryGet(folderOnDisk);
        var modified = MtimeOf(folderOnDisk);
        var ids = await db.Database.SqlQuery<long>($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, state, device, inode,
                                 name_is_valid, uploaded_by_id, uploaded_at)
            VALUES ({rootId}, {parentId}, {name}, {EntryName.Key(name)}, {path}, 0, 0, {modified}, 0,
                    {unchecked((long)(stat?.Device ?? 0))}, {unchecked((long)(stat?.Inode ?? 0))}, true, {actor}, {now})
            ON CONFLICT (root_id, relative_path) DO UPDATE
            SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, name_key = EXCLUDED.name_key, kind = 0, size = 0,
                modified_at = EXCLUDED.modified_at, state = 0, missing_since = NULL, device = EXCLUDED.device, inode = EXCLUDED.inode
            RETURNING id AS "Value"
            """).ToListAsync(cancellationToken);
        return ids[0];
    }

    /// <summary>
    /// The catalog row of a file FileVault has just put in place itself (an upload, a compress job's archive): a new
    /// row, or the row an earlier scan left at that path (the old file's record, missing or a link) taken over. One
    /// statement: <paramref name="alongside"/>, when given, adds the caller's own common table expressions to it, each
    /// starting with a comma, which read the new row's id as <c>(SELECT id FROM placed)</c> — so the caller's records
    /// commit with the row in the same round trip. Returns the row's id.
    /// </summary>
    public static async Task<long> PlaceFileAsync(FileVaultDbContext db, PlacedFile file, FormattableString? alongside, CancellationToken cancellationToken)
    {
        var mime = MimeTypes.TryGetContentType(file.Name, out var type) ? type : null;
        FormattableString placed = $"""
            WITH placed AS (
                INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, mime_type, content_hash,
                                     state, device, inode, name_is_valid, uploaded_by_id, uploaded_at)
                VALUES ({file.RootId}, {file.ParentId}, {file.Name}, {EntryName.Key(file.Name)}, {file.RelativePath}, 1, {file.Size}, {file.ModifiedAt},
                        {EntryName.Extension(file.Name)}, {mime}, {file.ContentHash}, 0, {unchecked((long)file.Device)}, {unchecked((long)file.Inode)}, true,
                        {file.PlacedBy}, {file.PlacedAt})
                ON CONFLICT (root_id, relative_path) DO UPDATE
                SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, name_key = EXCLUDED.name_key, kind = 1, size = EXCLUDED.size,
                    modified_at = EXCLUDED.modified_at, extension = EXCLUDED.extension, mime_type = EXCLUDED.mime_type, content_hash = EXCLUDED.content_hash,
                    state = 0, missing_since = NULL, device = EXCLUDED.device, inode = EXCLUDED.inode, link_target = NULL,
                    uploaded_by_id = EXCLUDED.uploaded_by_id, uploaded_at = EXCLUDED.uploaded_at
                RETURNING id)
            """;
        FormattableString select = $"""

            SELECT id AS "Value" FROM placed
            """;
        var ids = await db.Database.SqlQuery<long>(Concat(placed, alongside ?? $"", select)).ToListAsync(cancellationToken);
        return ids[0];
    }

    /// <summary>One interpolated statement from several: each part's placeholders renumbered after the parts before it.</summary>
    private static FormattableString Concat(params FormattableString[] parts)
    {
        var format = new StringBuilder();
        var arguments = new List<object?>();
        foreach (var part in parts)
        {
            var text = part.Format;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '{' && i + 1 < text.Length && text[i + 1] == '{')
                {
                    format.Append("{{");
                    i++;
                }
                else if (text[i] == '{')
                {
                    var end = i + 1;
                    while (char.IsAsciiDigit(text[end]))
                    {
                        end++;
                    }

                    format.Append('{').Append(int.Parse(text.AsSpan(i + 1, end - i - 1), CultureInfo.InvariantCulture) + arguments.Count);
                    i = end - 1;
                }
                else
                {
                    format.Append(text[i]);
                }
            }

            arguments.AddRange(part.GetArguments());
        }

        return FormattableStringFactory.Create(format.ToString(), [.. arguments]);
    }

    // The catalog keeps microseconds, as PostgreSQL does.
    /// <summary>A folder's modification time as the catalog keeps it (microseconds, UTC).</summary>
    public static DateTimeOffset MtimeOf(string folderOnDisk)
    {
        var modified = new DateTimeOffset(Directory.GetLastWriteTimeUtc(folderOnDisk));
        return new DateTimeOffset(modified.UtcTicks - (modified.UtcTicks % 10), TimeSpan.Zero);
    }

    private sealed record SubtreeRow(long Id, string RelativePath);

    public static string ParentOf(string relativePath) => relativePath.LastIndexOf('/') is var slash and >= 0 ? relativePath[..slash] : "";

    public static string Join(string folder, string name) => folder.Length == 0 ? name : folder + "/" + name;

    /// <summary>"name (1).ext", "name (2).ext", …: the first that <paramref name="taken"/> does not hold.</summary>
    public static string KeepBothName(string name, bool isFolder, Func<string, bool> taken)
    {
        var dot = isFolder || EntryName.Extension(name) is null ? -1 : name.LastIndexOf('.');
        var stem = dot < 0 ? name : name[..dot];
        var suffix = dot < 0 ? "" : name[dot..];
        for (var n = 1; ; n++)
        {
            var candidate = $"{stem} ({n}){suffix}";
            if (!taken(candidate))
            {
                return candidate;
            }
        }
    }
}

/// <summary>A file FileVault wrote into place itself, as <see cref="CatalogChanges.PlaceFileAsync"/> records it: by whom and when it was placed.</summary>
internal sealed record PlacedFile(
    int RootId, long ParentId, string Name, string RelativePath, long Size, DateTimeOffset ModifiedAt, byte[] ContentHash, ulong Device, ulong Inode,
    Guid PlacedBy, DateTimeOffset PlacedAt);
