using FileVault.Core.Catalog;

namespace FileVault.Core.Search;

/// <summary>
/// A <see cref="SearchQuery"/> that passed its checks: the words as name keys (NFC, lower-case, as
/// <see cref="Entry.NameKey"/> holds names) and the extensions, <c>ext:</c> words and the explicit list together.
/// </summary>
internal sealed record SearchCriteria(IReadOnlyList<string> Words, IReadOnlyList<string> Extensions)
{
    private const string ExtensionPrefix = "ext:";

    // Catalog extensions are at most 32 characters (EntryName.Extension): a longer one can match nothing.
    public const int MaxExtensionLength = 32;

    /// <summary>The words as one name: what an exactly matching name is (relevance).</summary>
    public string Phrase => string.Join(' ', Words);

    public static Result<SearchCriteria> From(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var text = query.Text?.Trim() ?? "";
        if (text.Length > SearchQuery.MaxTextLength)
        {
            return SearchErrors.QueryTooLong(text.Length);
        }

        var words = new List<string>();
        var extensions = new List<string>();
        foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.StartsWith(ExtensionPrefix, StringComparison.OrdinalIgnoreCase))
            {
                extensions.AddRange(token[ExtensionPrefix.Length..].Split(','));
            }
            else
            {
                words.Add(EntryName.Key(token));
            }
        }

        if (words.Count > SearchQuery.MaxWords)
        {
            return SearchErrors.TooManyTerms(words.Count);
        }

        extensions.AddRange(query.Extensions ?? []);
        var keys = extensions.Select(e => EntryName.Key(e.Trim().TrimStart('.'))).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count > SearchQuery.MaxExtensions || keys.Any(k => k.Length is 0 or > MaxExtensionLength))
        {
            return SearchErrors.ExtensionInvalid;
        }

        if (query.MinSize < 0 || query.MaxSize < 0 || query.MinSize > query.MaxSize)
        {
            return SearchErrors.SizeInvalid;
        }

        if (query.ModifiedFrom >= query.ModifiedUntil)
        {
            return SearchErrors.DateInvalid;
        }

        if (query.Camera?.Trim().Length > SearchQuery.MaxCameraLength || query.TakenFrom >= query.TakenUntil)
        {
            return SearchErrors.PhotoInvalid;
        }

        if (query.Offset is < 0 or > SearchQuery.TotalCap || query.PageSize is < 1 or > SearchQuery.MaxPageSize)
        {
            return SearchErrors.PageInvalid;
        }

        if (query.After is { } after && (query.Offset != 0
            || (after.Key is { } key && (key.Sort != query.Sort || key.Descending != query.SortsDescending))
            || (after.Key is null && after.Position > SearchQuery.TotalCap)))
        {
            // A cursor of another sort would seek on keys this sort does not order by; an offset beside it would be
            // counted from the cursor or from the start, and neither is what a reader of the link would guess.
            return SearchErrors.CursorInvalid;
        }

        if (!Enum.IsDefined(query.Type))
        {
            return SearchErrors.TypeInvalid;
        }

        if (!Enum.IsDefined(query.Sort))
        {
            return SearchErrors.SortInvalid;
        }

        return new SearchCriteria(words, keys);
    }
}
