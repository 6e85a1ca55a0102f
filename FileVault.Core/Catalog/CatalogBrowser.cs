using System.Buffers.Text;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Catalog;

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

/// <summary>
/// Lists a folder's active children, folders first, with keyset pagination: each page continues after the last row of
/// the previous one, so page 500 of a 100,000-child folder costs what page 1 does. Name order walks an index
/// (parent, folders-first, name key, id); the other orders sort one folder's rows.
/// </summary>
public sealed class CatalogBrowser(IDbContextFactory<FileVaultDbContext> contexts)
{
    public const int MaxPageSize = 1000;

    public async Task<Result<BrowsePage>> BrowseAsync(BrowseQuery query, CancellationToken cancellationToken)
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
            .Select(e => new { e.Kind })
            .SingleOrDefaultAsync(cancellationToken);
        if (folder is null)
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
                .Where(e => e.ParentId == query.FolderId && e.State == EntryState.Active && e.SortGroup == group);
            var cursor = after is not null && after.Group == group ? after : null;
            items.AddRange(await PageAsync(children, query, cursor, query.PageSize + 1 - items.Count, cancellationToken));
        }

        var hasMore = items.Count > query.PageSize;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        var next = hasMore ? Cursor.For(items[^1], query.Sort, query.Descending).Encode() : null;
        return new BrowsePage(items, next);
    }

    private static async Task<List<BrowseItem>> PageAsync(
        IQueryable<Entry> children, BrowseQuery query, Cursor? after, int take, CancellationToken cancellationToken)
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
        return await ordered.Take(take)
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
