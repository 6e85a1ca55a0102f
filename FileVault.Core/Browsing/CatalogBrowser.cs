using System.Buffers.Text;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using FileVault.Core.Catalog;

namespace FileVault.Core.Browsing;

public enum BrowseSort
{
    Name = 0,
    Size = 1,
    Modified = 2,
    Uploaded = 3,
    Type = 4,
}

/// <summary>One page of a folder: <paramref name="After"/> is the previous page's <see cref="BrowsePage.NextCursor"/>.</summary>
public sealed record BrowseQuery(long FolderId, BrowseSort Sort = BrowseSort.Name, bool Descending = false, string? After = null, int PageSize = 200);

public sealed record BrowseItem(
    long Id, string Name, EntryKind Kind, long Size, DateTimeOffset ModifiedAt, string? Extension, string? MimeType,
    DateTimeOffset? UploadedAt, bool NameIsValid, string? LinkTarget, string? Description);

public sealed record BrowsePage(IReadOnlyList<BrowseItem> Items, string? NextCursor);

/// <summary>A folder a user can start browsing from ("" is the root itself).</summary>
public sealed record EntryPoint(int RootId, string RootName, string RelativePath);

/// <summary>One entry with what the details panel shows.</summary>
public sealed record EntryDetails(
    long Id, int RootId, string RootName, long? ParentId, string Name, string RelativePath, EntryKind Kind, long Size,
    DateTimeOffset ModifiedAt, string? Extension, string? MimeType, string? ContentHashHex, string? Description,
    string? UploadedBy, DateTimeOffset? UploadedAt, bool NameIsValid, string? LinkTarget, EntryState State);

/// <summary>
/// Lists a folder's active children, folders first, with keyset pagination: each page continues after the last row of
/// the previous one, so page 500 of a 100,000-child folder costs what page 1 does. Name order walks an index
/// (parent, folders-first, name key, id); the other orders sort one folder's rows. Every method takes the acting user:
/// a folder they cannot read does not exist for them, and children they cannot read (an explicit deny) are filtered
/// out in SQL.
/// </summary>
public sealed class CatalogBrowser(IDbContextFactory<FileVaultDbContext> contexts, AccessEvaluator access)
{
    public const int MaxPageSize = 1000;

    public async Task<Result<BrowsePage>> BrowseAsync(AccessSubject subject, BrowseQuery query, CancellationToken cancellationToken)
    {
        if (query.PageSize is < 1 or > MaxPageSize)
        {
            return new Error("browse.page_size", $"Page size must be 1 to {MaxPageSize}.");
        }

        Cursor? after = null;
        if (query.After is not null && !Cursor.TryDecode(query.After, query.Sort, query.Descending, out after))
        {
            return new Error("browse.cursor_invalid", "The page cursor is not valid for this listing.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await db.Entries.AsNoTracking()
            .Where(e => e.Id == query.FolderId && e.State == EntryState.Active)
            .Select(e => new { e.Kind, e.RootId, e.RelativePath })
            .SingleOrDefaultAsync(cancellationToken);
        if (folder is null || !await access.CanReadAsync(subject, folder.RootId, folder.RelativePath, cancellationToken))
        {
            return new Error("entry.not_found", "No such folder.");
        }

        if (folder.Kind != EntryKind.Directory)
        {
            return new Error("entry.not_a_folder", "That entry is not a folder.");
        }

        var items = new List<BrowseItem>(query.PageSize + 1);
        // Folders (group 0) come before everything else (group 1) in both directions.
        for (short group = after?.Group ?? 0; group <= 1 && items.Count <= query.PageSize; group++)
        {
            var children = db.Entries.AsNoTracking()
                .Where(e => e.ParentId == query.FolderId && e.State == EntryState.Active && e.SortGroup == group)
                .WhereReadable(db, subject);
            var cursor = after is not null && after.Group == group ? after : null;
            items.AddRange(await PageAsync(children, query, cursor, query.PageSize + 1 - items.Count, 0, cancellationToken));
        }

        var hasMore = items.Count > query.PageSize;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        var next = hasMore ? Cursor.For(items[^1], query.Sort, query.Descending).Encode() : null;
        return new BrowsePage(items, next);
    }

    /// <summary>
    /// Rows <paramref name="offset"/> to offset + count of a folder in a sort order, for a virtualized list that jumps
    /// anywhere in the scrollbar (keyset pages cannot seek by position). Folders first, then the rest.
    /// </summary>
    public async Task<(IReadOnlyList<BrowseItem> Items, int Total)> WindowAsync(
        AccessSubject subject, long folderId, BrowseSort sort, bool descending, int offset, int count, CancellationToken cancellationToken)
    {
        count = Math.Clamp(count, 0, MaxPageSize);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var children = db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active)
            .WhereReadable(db, subject);
        var folders = await children.CountAsync(e => e.SortGroup == 0, cancellationToken);
        var total = await children.CountAsync(cancellationToken);
        var items = new List<BrowseItem>(count);
        var query = new BrowseQuery(folderId, sort, descending);
        if (offset < folders)
        {
            items.AddRange(await PageAsync(children.Where(e => e.SortGroup == 0), query, null, Math.Min(count, folders - offset), offset, cancellationToken));
        }

        if (items.Count < count && offset + items.Count < total)
        {
            var skip = Math.Max(0, offset - folders);
            items.AddRange(await PageAsync(children.Where(e => e.SortGroup == 1), query, null, count - items.Count, skip, cancellationToken));
        }

        return (items, total);
    }

    /// <summary>A folder's readable subfolders by name (the first <paramref name="limit"/>, at most <see cref="MaxPageSize"/>), for folder trees and pickers.</summary>
    /// <remarks>Folders only (group 0), never a page of files: a folder of 100,000 files costs what an empty one does.</remarks>
    public async Task<IReadOnlyList<BrowseItem>> ChildFoldersAsync(
        AccessSubject subject, long folderId, CancellationToken cancellationToken, int limit = MaxPageSize)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await db.Entries.AsNoTracking()
            .Where(e => e.Id == folderId && e.State == EntryState.Active && e.Kind == EntryKind.Directory)
            .Select(e => new { e.RootId, e.RelativePath })
            .SingleOrDefaultAsync(cancellationToken);
        if (folder is null || !await access.CanReadAsync(subject, folder.RootId, folder.RelativePath, cancellationToken))
        {
            return [];
        }

        var subfolders = db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active && e.SortGroup == 0)
            .WhereReadable(db, subject);
        return await PageAsync(subfolders, new BrowseQuery(folderId), null, Math.Clamp(limit, 1, MaxPageSize), 0, cancellationToken);
    }

    /// <summary>
    /// What changes whenever a folder's contents change: its modification time, which every FileVault operation and
    /// every scan that saw a change keep in step with the disk. One primary-key read, for open folder pages to poll;
    /// null when the folder is gone or no longer readable.
    /// </summary>
    public async Task<DateTimeOffset?> FolderStampAsync(AccessSubject subject, long folderId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await db.Entries.AsNoTracking()
            .Where(e => e.Id == folderId && e.State == EntryState.Active && e.Kind == EntryKind.Directory)
            .Select(e => new { e.RootId, e.RelativePath, e.ModifiedAt })
            .SingleOrDefaultAsync(cancellationToken);
        return folder is not null && await access.CanReadAsync(subject, folder.RootId, folder.RelativePath, cancellationToken)
            ? folder.ModifiedAt
            : null;
    }

    public async Task<EntryDetails?> GetAsync(AccessSubject subject, long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Entries.AsNoTracking()
            .Where(e => e.Id == id)
            .Select(e => new
            {
                Entry = e,
                RootName = db.StorageRoots.Where(r => r.Id == e.RootId).Select(r => r.Name).FirstOrDefault(),
                UploadedBy = db.Users.Where(u => u.Id == e.UploadedById).Select(u => u.Email).FirstOrDefault(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null || !await access.CanReadAsync(subject, row.Entry.RootId, row.Entry.RelativePath, cancellationToken))
        {
            return null;
        }

        var e = row.Entry;
        return new EntryDetails(e.Id, e.RootId, row.RootName ?? "", e.ParentId, e.Name, e.RelativePath, e.Kind, e.Size, e.ModifiedAt,
            e.Extension, e.MimeType, e.ContentHash is null ? null : Convert.ToHexStringLower(e.ContentHash), e.Description,
            row.UploadedBy, e.UploadedAt, e.NameIsValid, e.LinkTarget, e.State);
    }

    /// <summary>
    /// The folder at a path of a root: the exact on-disk path first, else component by component on the NFC,
    /// lower-cased key, so a link typed in NFC finds a folder a Mac wrote in NFD. Two children matching one key is
    /// ambiguous, never a guess.
    /// </summary>
    public async Task<Result<long>> ResolveFolderAsync(AccessSubject subject, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Contains('\0', StringComparison.Ordinal))
        {
            // No file system name holds NUL, and PostgreSQL text cannot either: no such folder, not a database error.
            return new Error("entry.not_found", "No such folder.");
        }

        var resolved = await ResolveFolderPathAsync(rootId, relativePath, cancellationToken);
        return resolved.IsSuccess && !await access.CanReadAsync(subject, rootId, resolved.Value.Path, cancellationToken)
            ? new Error("entry.not_found", "No such folder.")
            : resolved.IsSuccess ? resolved.Value.Id : resolved.Error!;
    }

    /// <summary>Where a user starts: every root for admins; for others the folders their grants (or their groups') let them read.</summary>
    public async Task<IReadOnlyList<EntryPoint>> EntryPointsAsync(AccessSubject subject, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var roots = await db.StorageRoots.AsNoTracking().OrderBy(r => r.Name).Select(r => new { r.Id, r.Name }).ToListAsync(cancellationToken);
        if (subject.IsAdministrator)
        {
            return roots.Select(r => new EntryPoint(r.Id, r.Name, "")).ToList();
        }

        var groups = db.GroupMembers.Where(m => m.UserId == subject.UserId).Select(m => m.GroupId);
        var granted = await db.FolderGrants.AsNoTracking()
            .Where(g => g.Effect == GrantEffect.Allow && (g.Permissions & Permission.Read) != 0
                && (g.UserId == subject.UserId || (g.GroupId != null && groups.Contains(g.GroupId.Value))))
            .Select(g => new { g.RootId, g.RelativePath })
            .Distinct()
            .ToListAsync(cancellationToken);
        var points = new List<EntryPoint>();
        foreach (var grant in granted.OrderBy(g => g.RootId).ThenBy(g => g.RelativePath, StringComparer.Ordinal))
        {
            // A folder under another entry point is reachable from it; list only the top-most ones.
            if (points.Any(p => p.RootId == grant.RootId && (p.RelativePath.Length == 0 || grant.RelativePath.StartsWith(p.RelativePath + "/", StringComparison.Ordinal)))
                || !await access.CanReadAsync(subject, grant.RootId, grant.RelativePath, cancellationToken))
            {
                continue;
            }

            points.Add(new EntryPoint(grant.RootId, roots.FirstOrDefault(r => r.Id == grant.RootId)?.Name ?? "", grant.RelativePath));
        }

        return points;
    }

    private async Task<Result<(long Id, string Path)>> ResolveFolderPathAsync(int rootId, string relativePath, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var exact = await db.Entries.AsNoTracking()
            .Where(e => e.RootId == rootId && e.RelativePath == relativePath && e.State == EntryState.Active && e.Kind == EntryKind.Directory)
            .Select(e => (long?)e.Id)
            .SingleOrDefaultAsync(cancellationToken);
        if (exact is not null)
        {
            return (exact.Value, relativePath);
        }

        var current = await db.Entries.AsNoTracking()
            .Where(e => e.RootId == rootId && e.RelativePath == "")
            .Select(e => (long?)e.Id)
            .SingleOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return new Error("entry.not_found", "The root has not been scanned yet.");
        }

        var path = "";
        foreach (var component in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = EntryName.Key(component);
            var matches = await db.Entries.AsNoTracking()
                .ActiveNamed(current, key).Where(e => e.Kind == EntryKind.Directory)
                .Select(e => new { e.Id, e.RelativePath })
                .Take(2)
                .ToListAsync(cancellationToken);
            if (matches.Count != 1)
            {
                return matches.Count == 0
                    ? new Error("entry.not_found", "No such folder.")
                    : new Error("path.ambiguous", "Two folders match this path; open one by its link.");
            }

            current = matches[0].Id;
            path = matches[0].RelativePath;
        }

        return (current.Value, path);
    }

    private static async Task<List<BrowseItem>> PageAsync(
        IQueryable<Entry> children, BrowseQuery query, Cursor? after, int take, int skip, CancellationToken cancellationToken)
    {
        var descending = query.Descending;
        var ordered = query.Sort switch
        {
            BrowseSort.Size => Keyset(children, e => ValueTuple.Create(e.Size, e.Id), after is null ? null : (after.Number ?? 0, after.Id), descending),
            BrowseSort.Modified => Keyset(children, e => ValueTuple.Create(e.ModifiedAt, e.Id), after is null ? null : (after.Time ?? default, after.Id), descending),
            BrowseSort.Uploaded => Keyset(children, e => ValueTuple.Create(e.UploadedAt ?? DateTimeOffset.MinValue, e.Id),
                after is null ? null : (after.Time ?? DateTimeOffset.MinValue, after.Id), descending),
            BrowseSort.Type => Keyset(children, e => ValueTuple.Create(e.Extension ?? "", e.NameKey, e.Id),
                after is null ? null : (after.Text ?? "", after.Second ?? "", after.Id), descending),
            _ => Keyset(children, e => ValueTuple.Create(e.NameKey, e.Id), after is null ? null : (after.Text ?? "", after.Id), descending),
        };
        return await ordered.Skip(skip).Take(take)
            .Select(e => new BrowseItem(e.Id, e.Name, e.Kind, e.Size, e.ModifiedAt, e.Extension, e.MimeType, e.UploadedAt,
                e.NameIsValid, e.LinkTarget, e.Description))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Rows whose sort key (a tuple ending in the id) comes after the cursor's, ordered by that key. The comparison is
    /// a PostgreSQL row comparison, (a, b) &gt; (x, y), which an index on those columns can seek to.
    /// </summary>
    private static IQueryable<Entry> Keyset<TKey>(IQueryable<Entry> children, Expression<Func<Entry, TKey>> key, TKey? cursor, bool descending)
        where TKey : struct, ITuple
    {
        var entry = key.Parameters[0];
        var create = (MethodCallExpression)key.Body;
        var members = create.Arguments;
        if (cursor is { } position)
        {
            // The cursor's values as ValueTuple.Create(c.Item1, c.Item2, ...) over a closure, so each becomes a parameter.
            Expression<Func<TKey>> captured = () => position;
            var values = Expression.Call(create.Method, members.Select((_, i) => (Expression)Expression.Field(captured.Body, "Item" + (i + 1))));
            var compare = typeof(NpgsqlDbFunctionsExtensions).GetMethod(
                descending ? nameof(NpgsqlDbFunctionsExtensions.LessThan) : nameof(NpgsqlDbFunctionsExtensions.GreaterThan),
                [typeof(DbFunctions), typeof(ITuple), typeof(ITuple)])!;
            var call = Expression.Call(compare, Expression.Constant(EF.Functions),
                Expression.Convert(key.Body, typeof(ITuple)), Expression.Convert(values, typeof(ITuple)));
            children = children.Where(Expression.Lambda<Func<Entry, bool>>(call, entry));
        }

        // Order by each member of the key tuple in turn.
        IOrderedQueryable<Entry>? ordered = null;
        foreach (var member in members)
        {
            var lambda = Expression.Lambda(member, entry);
            var method = (ordered is null, descending) switch
            {
                (true, false) => nameof(Queryable.OrderBy),
                (true, true) => nameof(Queryable.OrderByDescending),
                (false, false) => nameof(Queryable.ThenBy),
                _ => nameof(Queryable.ThenByDescending),
            };
            ordered = (IOrderedQueryable<Entry>)children.Provider.CreateQuery<Entry>(Expression.Call(
                typeof(Queryable), method, [typeof(Entry), member.Type], (ordered ?? children).Expression, Expression.Quote(lambda)));
        }

        return ordered ?? children;
    }
}

/// <summary>Where a page ended: the last row's sort group, sort key and id, for the next page to start after.</summary>
internal sealed record Cursor(short Group, BrowseSort Sort, bool Descending, long Id, string? Text, string? Second, long? Number, DateTimeOffset? Time)
{
    public static Cursor For(BrowseItem item, BrowseSort sort, bool descending)
    {
        var group = (short)(item.Kind == EntryKind.Directory ? 0 : 1);
        return sort switch
        {
            BrowseSort.Size => new Cursor(group, sort, descending, item.Id, null, null, item.Size, null),
            BrowseSort.Modified => new Cursor(group, sort, descending, item.Id, null, null, null, item.ModifiedAt),
            BrowseSort.Uploaded => new Cursor(group, sort, descending, item.Id, null, null, null, item.UploadedAt ?? DateTimeOffset.MinValue),
            BrowseSort.Type => new Cursor(group, sort, descending, item.Id, item.Extension ?? "", EntryName.Key(item.Name), null, null),
            _ => new Cursor(group, sort, descending, item.Id, EntryName.Key(item.Name), null, null, null),
        };
    }

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    /// <summary>A cursor only continues the listing it came from (same sort, same direction).</summary>
    public static bool TryDecode(string text, BrowseSort sort, bool descending, out Cursor? cursor)
    {
        cursor = null;
        try
        {
            cursor = JsonSerializer.Deserialize<Cursor>(Base64Url.DecodeFromChars(text));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }

        return cursor is { Group: 0 or 1 } && cursor.Sort == sort && cursor.Descending == descending;
    }
}
