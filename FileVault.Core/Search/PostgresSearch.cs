using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Search;

/// <summary>
/// Search on the catalog in PostgreSQL: every word a substring of the name key or the description, filtered, counted
/// and paged in SQL on the rows the user may read only (R-AUTH-1: a total never counts what the user cannot see).
/// </summary>
/// <remarks>
/// Words are LIKE patterns on <see cref="Entry.NameKey"/> (already NFC and lower-case, so the pattern is too) and ILIKE
/// patterns on the description, wildcards escaped. Names are scanned: a trigram index on them would slow every scan's
/// inserts past the first-scan target (see <c>EntryConfiguration</c>); descriptions have a partial trigram index. The
/// count stops at <see cref="SearchQuery.TotalCap"/>, so a broad search costs at most that many rows to count.
/// </remarks>
public sealed class PostgresSearch(IDbContextFactory<FileVaultDbContext> contexts, AccessEvaluator access)
{
    public async Task<Result<SearchResults>> SearchAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var parsed = SearchCriteria.From(query);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }

        var criteria = parsed.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The roots' own rows have no name to find.
        var entries = db.Entries.AsNoTracking().Where(e => e.State == EntryState.Active && e.ParentId != null);
        if (query.FolderId is { } folderId)
        {
            var folder = await db.Entries.AsNoTracking()
                .Where(e => e.Id == folderId && e.State == EntryState.Active)
                .Select(e => new { e.RootId, e.RelativePath, e.Kind })
                .SingleOrDefaultAsync(cancellationToken);
            if (folder is null || !await access.CanReadAsync(subject, folder.RootId, folder.RelativePath, cancellationToken))
            {
                return SearchErrors.FolderNotFound;
            }

            if (folder.Kind != EntryKind.Directory)
            {
                return SearchErrors.NotAFolder;
            }

            entries = Under(entries, folder.RootId, folder.RelativePath);
        }

        entries = Filtered(entries, query, criteria).WhereReadable(db, subject);
        // Ordered only so the limit is well defined (EF warns otherwise); a top-N sort of ids costs next to nothing.
        var counted = await entries.OrderBy(e => e.Id).Take(SearchQuery.TotalCap + 1).CountAsync(cancellationToken);
        var rows = await Ordered(entries, query, criteria)
            .Skip(query.Offset)
            .Take(query.PageSize)
            .Select(e => new
            {
                e.Id, e.Name, e.Kind, e.Size, e.ModifiedAt, e.Extension, e.RootId, e.ParentId, e.RelativePath, e.Description,
                RootName = db.StorageRoots.Where(r => r.Id == e.RootId).Select(r => r.Name).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);

        var hits = rows.Select(r =>
        {
            var snippet = SearchHighlights.Snippet(r.Description, criteria.Words);
            return new SearchHit(r.Id, r.Name, r.Kind, r.Size, r.ModifiedAt, r.Extension, r.RootId, r.RootName ?? "", r.ParentId!.Value,
                CatalogChanges.ParentOf(r.RelativePath), SearchHighlights.Find(r.Name, criteria.Words), snippet,
                snippet is null ? [] : SearchHighlights.Find(snippet, criteria.Words));
        }).ToList();
        return new SearchResults(hits, Math.Min(counted, SearchQuery.TotalCap), counted > SearchQuery.TotalCap);
    }

    /// <summary>
    /// Entries below a folder, on whole path components and bytewise (collation "C"), as <see cref="ReadableEntries"/>
    /// decides it: <c>Sales</c> holds <c>Sales/a</c>, not <c>Sales-Confidential/a</c>.
    /// </summary>
    private static IQueryable<Entry> Under(IQueryable<Entry> entries, int rootId, string folderPath)
    {
        entries = entries.Where(e => e.RootId == rootId);
        if (folderPath.Length == 0)
        {
            return entries;
        }

        // '0' is the character after '/': every path below the folder sorts between the two bounds.
        var lower = folderPath + "/";
        var upper = folderPath + "0";
        return entries.Where(e => e.RelativePath.CompareTo(lower) > 0 && e.RelativePath.CompareTo(upper) < 0);
    }

    private static IQueryable<Entry> Filtered(IQueryable<Entry> entries, SearchQuery query, SearchCriteria criteria)
    {
        foreach (var word in criteria.Words)
        {
            var pattern = LikePatterns.Containing(word);
            entries = entries.Where(e => EF.Functions.Like(e.NameKey, pattern, LikePatterns.Escape)
                || (e.Description != null && EF.Functions.ILike(e.Description, pattern, LikePatterns.Escape)));
        }

        if (criteria.Extensions.Count > 0)
        {
            var extensions = criteria.Extensions;
            entries = entries.Where(e => e.Kind == EntryKind.File && extensions.Contains(e.Extension!));
        }

        entries = query.Type switch
        {
            SearchType.All => entries,
            SearchType.Folders => entries.Where(e => e.Kind == EntryKind.Directory),
            SearchType.Files => entries.Where(e => e.Kind == EntryKind.File),
            _ => OfFileType(entries, FileTypeOf(query.Type)),
        };

        if (query.MinSize is not null || query.MaxSize is not null)
        {
            var min = query.MinSize ?? 0;
            var max = query.MaxSize ?? long.MaxValue;
            entries = entries.Where(e => e.Kind != EntryKind.Directory && e.Size >= min && e.Size <= max);
        }

        if (query.ModifiedFrom is { } from)
        {
            entries = entries.Where(e => e.ModifiedAt >= from);
        }

        if (query.ModifiedUntil is { } until)
        {
            entries = entries.Where(e => e.ModifiedAt < until);
        }

        return entries;
    }

    private static IQueryable<Entry> OfFileType(IQueryable<Entry> entries, FileType type)
    {
        var extensions = FileTypes.Extensions(type);
        return entries.Where(e => e.Kind == EntryKind.File && extensions.Contains(e.Extension!));
    }

    private static FileType FileTypeOf(SearchType type) => type switch
    {
        SearchType.Images => FileType.Image,
        SearchType.Documents => FileType.Document,
        SearchType.Spreadsheets => FileType.Spreadsheet,
        SearchType.Presentations => FileType.Presentation,
        SearchType.Video => FileType.Video,
        SearchType.Audio => FileType.Audio,
        SearchType.Archives => FileType.Archive,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a file type."),
    };

    /// <summary>The sort's key, then the name key and the id, so that pages never overlap or skip a row.</summary>
    private static IOrderedQueryable<Entry> Ordered(IQueryable<Entry> entries, SearchQuery query, SearchCriteria criteria)
    {
        var descending = query.Descending && query.Sort != SearchSort.Relevance;
        var phrase = criteria.Phrase;
        var prefix = LikePatterns.StartingWith(phrase);
        IOrderedQueryable<Entry>? ordered = query.Sort switch
        {
            SearchSort.Size => descending ? entries.OrderByDescending(e => e.Size) : entries.OrderBy(e => e.Size),
            SearchSort.Modified => descending ? entries.OrderByDescending(e => e.ModifiedAt) : entries.OrderBy(e => e.ModifiedAt),
            // Exactly the words ("보고서" for "보고서" and "보고서.pdf"), then names that start with them, then the rest.
            SearchSort.Relevance when phrase.Length > 0 => entries.OrderBy(e =>
                e.NameKey == phrase || (e.Extension != null && e.NameKey == phrase + "." + e.Extension) ? 0
                : EF.Functions.Like(e.NameKey, prefix, LikePatterns.Escape) ? 1
                : 2),
            _ => null,
        };
        ordered = ordered is null
            ? descending ? entries.OrderByDescending(e => e.NameKey) : entries.OrderBy(e => e.NameKey)
            : descending ? ordered.ThenByDescending(e => e.NameKey) : ordered.ThenBy(e => e.NameKey);
        return descending ? ordered.ThenByDescending(e => e.Id) : ordered.ThenBy(e => e.Id);
    }
}
