using System.Globalization;
using System.Text;

namespace FileVault.Core.Search.Meilisearch;

/// <summary>
/// A search as Meilisearch's filter and sort expressions. The permission part narrows by the user's readable path
/// prefixes; it may let through more than the grants allow (an allow below a deny), never less, because every
/// candidate is checked again in PostgreSQL (<see cref="PostgresSearch.RecheckAsync"/>).
/// </summary>
internal static class MeilisearchFilter
{
    public static readonly MeilisearchSettings Settings = new(
        SearchableAttributes: ["name", "initials"],
        FilterableAttributes: ["id", "rootId", "kind", "extension", "size", "modifiedAt", "pathPrefixes"],
        SortableAttributes: ["nameKey", "size", "modifiedAt", "id"],
        Pagination: new MeilisearchPagination(SearchQuery.TotalCap + SearchQuery.MaxPageSize));

    /// <summary>The value of a path in <see cref="MeilisearchDocument.PathPrefixes"/>: <c>rootId:path</c>.</summary>
    public static string Prefix(int rootId, string path) => rootId.ToString(CultureInfo.InvariantCulture) + ":" + path;

    /// <summary>The root's prefix, then each ancestor folder's, then the entry's own.</summary>
    public static IReadOnlyList<string> PrefixesOf(int rootId, string relativePath)
    {
        var prefixes = new List<string> { Prefix(rootId, "") };
        for (var slash = relativePath.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = relativePath.IndexOf('/', slash + 1))
        {
            prefixes.Add(Prefix(rootId, relativePath[..slash]));
        }

        if (relativePath.Length > 0)
        {
            prefixes.Add(Prefix(rootId, relativePath));
        }

        return prefixes;
    }

    /// <summary>The filter expression, or null when the user may read nothing at all (no call is needed).</summary>
    public static string? For(SearchQuery query, SearchCriteria criteria, PostgresSearch.SearchScope scope)
    {
        var conditions = new List<string>();
        if (scope.Grants is { } grants)
        {
            if (grants.AllowRoots.Length == 0)
            {
                return null;
            }

            var allows = grants.AllowRoots.Select((root, i) => Prefix(root, grants.AllowPaths[i])).Distinct().ToList();
            conditions.Add($"pathPrefixes IN [{string.Join(", ", allows.Select(Quote))}]");
            // A deny removes its subtree unless an allow lies deeper inside it (that allow wins below itself); the
            // catalog's recheck applies the exact rule either way.
            var denies = new List<string>();
            for (var d = 0; d < grants.DenyRoots.Length; d++)
            {
                var (root, path) = (grants.DenyRoots[d], grants.DenyPaths[d]);
                var allowedInside = grants.AllowRoots.Select((r, i) => (r, p: grants.AllowPaths[i]))
                    .Any(a => a.r == root && a.p.Length > path.Length && (path.Length == 0 || a.p.StartsWith(path + "/", StringComparison.Ordinal)));
                if (!allowedInside)
                {
                    denies.Add(Prefix(root, path));
                }
            }

            if (denies.Count > 0)
            {
                conditions.Add($"NOT pathPrefixes IN [{string.Join(", ", denies.Distinct().Select(Quote))}]");
            }
        }

        if (scope.Folder is { } folder)
        {
            conditions.Add($"pathPrefixes = {Quote(Prefix(folder.RootId, folder.Path))}");
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"id != {query.FolderId}"));
        }

        if (criteria.Extensions.Count > 0)
        {
            conditions.Add($"kind = 1 AND extension IN [{string.Join(", ", criteria.Extensions.Select(Quote))}]");
        }

        switch (query.Type)
        {
            case SearchType.All:
                break;
            case SearchType.Folders:
                conditions.Add("kind = 0");
                break;
            case SearchType.Files:
                conditions.Add("kind = 1");
                break;
            default:
                conditions.Add($"kind = 1 AND extension IN [{string.Join(", ", FileTypes.Extensions(query.Type).Select(Quote))}]");
                break;
        }

        if (query.MinSize is not null || query.MaxSize is not null)
        {
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"kind != 0 AND size >= {query.MinSize ?? 0} AND size <= {query.MaxSize ?? long.MaxValue}"));
        }

        if (query.ModifiedFrom is { } from)
        {
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"modifiedAt >= {from.ToUnixTimeSeconds()}"));
        }

        if (query.ModifiedUntil is { } until)
        {
            conditions.Add(string.Create(CultureInfo.InvariantCulture, $"modifiedAt < {until.ToUnixTimeSeconds()}"));
        }

        return string.Join(" AND ", conditions.Select(c => "(" + c + ")"));
    }

    /// <summary>The sort, with the name and the id as tie-breakers as in PostgreSQL; null for relevance (Meilisearch's ranking).</summary>
    public static IReadOnlyList<string>? Sort(SearchQuery query)
    {
        var direction = query.Descending ? ":desc" : ":asc";
        return query.Sort switch
        {
            SearchSort.Name => ["nameKey" + direction, "id" + direction],
            SearchSort.Size => ["size" + direction, "nameKey" + direction, "id" + direction],
            SearchSort.Modified => ["modifiedAt" + direction, "nameKey" + direction, "id" + direction],
            _ => null,
        };
    }

    /// <summary>A string literal of the filter language: double quotes, with backslashes and quotes escaped.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }
}
