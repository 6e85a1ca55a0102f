using System.Globalization;
using System.Numerics;
using System.Text;

namespace FileVault.Core.Search;

/// <summary>
/// A search as text, the way a link and the API carry it (<c>/search?q=…&amp;type=images</c>): read into a
/// <see cref="SearchQuery"/> with a clear error for the first value that is not understood, and written back, so a
/// search on the page is a link that reopens it and the API takes the same parameters.
/// </summary>
/// <remarks>
/// <c>ext</c> is a comma-separated list; <c>type</c> and <c>sort</c> are the enum names in any case; sizes are bytes;
/// <c>modifiedFrom</c> and <c>modifiedTo</c> are days (<c>2025-03-01</c>, in the reader's time zone the caller passes, both inclusive) or
/// instants with an offset; <c>folder</c> is an entry id; <c>camera</c> is text in a photo's camera make or model and
/// <c>takenFrom</c>/<c>takenTo</c> are days of its EXIF date (inclusive); <c>after</c> is a page's <c>next</c> cursor.
/// </remarks>
public sealed record SearchParameters(
    string? Q = null, string? Ext = null, string? Type = null, string? MinSize = null, string? MaxSize = null, string? ModifiedFrom = null,
    string? ModifiedTo = null, string? Folder = null, string? Sort = null, string? Desc = null, string? Offset = null, string? PageSize = null,
    string? Camera = null, string? TakenFrom = null, string? TakenTo = null, string? After = null)
{
    private const string DayFormat = "yyyy-MM-dd";

    public Result<SearchQuery> ToQuery(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (!TryEnum(Type, SearchType.All, out var type))
        {
            return SearchErrors.TypeInvalid;
        }

        if (!TryEnum(Sort, SearchSort.Relevance, out var sort) || !TryBool(Desc, out var descending))
        {
            return SearchErrors.SortInvalid;
        }

        if (!TryNumber<long>(MinSize, out var minSize) || !TryNumber<long>(MaxSize, out var maxSize))
        {
            return SearchErrors.SizeInvalid;
        }

        if (!TryInstant(ModifiedFrom, zone, endOfDay: false, out var from) || !TryInstant(ModifiedTo, zone, endOfDay: true, out var until))
        {
            return SearchErrors.DateInvalid;
        }

        if (!TryNumber<long>(Folder, out var folder))
        {
            return SearchErrors.FolderInvalid;
        }

        if (!TryNumber<int>(Offset, out var offset) || !TryNumber<int>(PageSize, out var pageSize))
        {
            return SearchErrors.PageInvalid;
        }

        if (!TryDay(TakenFrom, out var takenFrom) || !TryDay(TakenTo, out var takenTo))
        {
            return SearchErrors.PhotoInvalid;
        }

        SearchCursor? after = null;
        if (!string.IsNullOrWhiteSpace(After))
        {
            var cursor = SearchCursor.Parse(After);
            if (!cursor.IsSuccess)
            {
                return cursor.Error!;
            }

            after = cursor.Value;
        }

        // The ranges are the query's to check (SearchCriteria), for links and code alike.
        var extensions = string.IsNullOrWhiteSpace(Ext) ? null : Ext.Split(',', StringSplitOptions.TrimEntries);
        return new SearchQuery(Q, extensions, type, minSize, maxSize, from, until, folder, sort, descending,
            offset ?? 0, pageSize ?? SearchQuery.DefaultPageSize,
            string.IsNullOrWhiteSpace(Camera) ? null : Camera.Trim(), takenFrom, takenTo?.AddDays(1), after);
    }

    /// <summary>The parameters of a query, defaults left out; days where a bound falls on a midnight of <paramref name="zone"/>.</summary>
    public static SearchParameters From(SearchQuery query, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(zone);
        return new SearchParameters(
            string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim(),
            query.Extensions is { Count: > 0 } extensions ? string.Join(',', extensions) : null,
            query.Type == SearchType.All ? null : Name(query.Type),
            query.MinSize?.ToString(CultureInfo.InvariantCulture),
            query.MaxSize?.ToString(CultureInfo.InvariantCulture),
            query.ModifiedFrom is { } from ? Text(from, zone, 0) : null,
            // The last day the range includes, as the person chose it.
            query.ModifiedUntil is { } until ? Text(until, zone, -1) : null,
            query.FolderId?.ToString(CultureInfo.InvariantCulture),
            query.Sort == SearchSort.Relevance ? null : Name(query.Sort),
            query.Descending ? "true" : null,
            query.Offset == 0 ? null : query.Offset.ToString(CultureInfo.InvariantCulture),
            query.PageSize == SearchQuery.DefaultPageSize ? null : query.PageSize.ToString(CultureInfo.InvariantCulture),
            string.IsNullOrWhiteSpace(query.Camera) ? null : query.Camera.Trim(),
            query.TakenFrom?.ToString(DayFormat, CultureInfo.InvariantCulture),
            // The last day the range includes, as the person chose it.
            query.TakenUntil?.AddDays(-1).ToString(DayFormat, CultureInfo.InvariantCulture),
            query.After?.Encode());
    }

    /// <summary>"q=…&amp;type=…" with each value percent-encoded; "" when every parameter is at its default.</summary>
    public string ToQueryString()
    {
        var text = new StringBuilder();
        foreach (var (name, value) in Pairs())
        {
            if (value is not null)
            {
                text.Append(text.Length == 0 ? "" : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return text.ToString();
    }

    private IEnumerable<(string Name, string? Value)> Pairs() =>
    [
        ("q", Q), ("ext", Ext), ("type", Type), ("minSize", MinSize), ("maxSize", MaxSize), ("modifiedFrom", ModifiedFrom),
        ("modifiedTo", ModifiedTo), ("folder", Folder), ("sort", Sort), ("desc", Desc), ("offset", Offset), ("pageSize", PageSize),
        ("camera", Camera), ("takenFrom", TakenFrom), ("takenTo", TakenTo), ("after", After),
    ];

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static bool TryEnum<T>(string? text, T fallback, out T value) where T : struct, Enum
    {
        value = fallback;
        // Names only: Enum.TryParse would also take "7", and any number.
        return string.IsNullOrWhiteSpace(text)
            || (text.Trim().All(char.IsAsciiLetter) && Enum.TryParse(text.Trim(), ignoreCase: true, out value));
    }

    private static bool TryBool(string? text, out bool value)
    {
        value = false;
        return string.IsNullOrWhiteSpace(text) || bool.TryParse(text.Trim(), out value);
    }

    /// <summary>Digits only: no sign, no separators; a number too big for <typeparamref name="T"/> is not understood.</summary>
    private static bool TryNumber<T>(string? text, out T? value) where T : struct, IBinaryInteger<T>
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!T.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryDay(string? text, out DateOnly? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!DateOnly.TryParseExact(text.Trim(), DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return false;
        }

        value = day;
        return true;
    }

    /// <summary>A day (its first instant, or with <paramref name="endOfDay"/> the next day's) or an instant (just after it, for an inclusive end).</summary>
    private static bool TryInstant(string? text, TimeZoneInfo zone, bool endOfDay, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text.Trim(), DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            value = TimeZones.StartOfDay(day.AddDays(endOfDay ? 1 : 0), zone);
            return true;
        }

        // An instant needs its time ("2025-03-01T09:00:00+09:00"): a day in another spelling (01/03/2025) is refused, not guessed.
        if (text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            // PostgreSQL keeps microseconds: the next one is the first instant after an inclusive end.
            value = endOfDay ? instant.AddTicks(TimeSpan.TicksPerMicrosecond) : instant;
            return true;
        }

        return false;
    }

    private static string Text(DateTimeOffset instant, TimeZoneInfo zone, int dayShift)
    {
        if (TimeZones.IsStartOfDay(instant, zone))
        {
            return TimeZones.DayOf(instant, zone).AddDays(dayShift).ToString(DayFormat, CultureInfo.InvariantCulture);
        }

        return (dayShift < 0 ? instant.AddTicks(-TimeSpan.TicksPerMicrosecond) : instant).ToString("O", CultureInfo.InvariantCulture);
    }
}
