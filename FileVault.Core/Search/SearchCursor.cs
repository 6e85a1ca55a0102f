using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace FileVault.Core.Search;

/// <summary>
/// Where the next page of a search starts (<c>after=</c>, the <see cref="SearchResults.Next"/> of the page before): the
/// sort keys of the last row shown, so PostgreSQL seeks straight to it in the sort's index and page 101 costs what
/// page 1 costs; or, from Meilisearch, which pages by offset, only the position.
/// </summary>
/// <remarks>
/// A cursor is a position, never a grant: every condition of the search (the words, the filters, the scope and the
/// user's read grants as they are now) still applies to the rows after it, so a cursor crafted by hand can only start a
/// page somewhere else among the rows its user may read. It is opaque to clients (base64url of a small JSON object)
/// and not signed, since nothing in it is trusted.
/// </remarks>
/// <param name="Position">How many rows came before the next one, as far as the engine knew (the page number shown; Meilisearch's offset).</param>
/// <param name="Key">The last row's sort keys; null for a cursor that is an offset only.</param>
public sealed record SearchCursor(int Position, SearchCursorKey? Key)
{
    /// <summary>A cursor's text is at most this long: a name key of 255 bytes, encoded, fits with room to spare.</summary>
    public const int MaxLength = 2048;

    private const int Version = 1;

    private const int MaxPosition = 1_000_000_000;

    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Wire(Version, Position, Key is null ? null : (int)Key.Sort, Key?.Descending,
            Key?.Tier, Key?.NameKey, Key?.Size, Key is null ? null : ToMicroseconds(Key.ModifiedAt), Key?.Id));
        return Base64Url.EncodeToString(json);
    }

    /// <summary>The cursor a text holds, or <see cref="SearchErrors.CursorInvalid"/> for anything else.</summary>
    public static Result<SearchCursor> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length is 0 or > MaxLength || !Base64Url.IsValid(text))
        {
            return SearchErrors.CursorInvalid;
        }

        Wire? wire;
        try
        {
            wire = JsonSerializer.Deserialize<Wire>(Base64Url.DecodeFromChars(text));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return SearchErrors.CursorInvalid;
        }

        // A position past any count leaves room for a page after it without overflow.
        if (wire is not { V: Version, P: >= 0 and <= MaxPosition })
        {
            return SearchErrors.CursorInvalid;
        }

        if (wire.S is null && wire.K is null && wire.I is null)
        {
            return new SearchCursor(wire.P, null);
        }

        if (wire is not { S: { } sort, D: { } descending, T: >= 0 and <= 2, K: { Length: <= 1024 } nameKey, Z: { } size, M: { } modified, I: > 0 }
            || !Enum.IsDefined((SearchSort)sort) || modified < MinMicroseconds || modified > MaxMicroseconds)
        {
            return SearchErrors.CursorInvalid;
        }

        return new SearchCursor(wire.P, new SearchCursorKey((SearchSort)sort, descending, wire.T!.Value, nameKey, size,
            DateTimeOffset.UnixEpoch.AddTicks(modified * TimeSpan.TicksPerMicrosecond), wire.I!.Value));
    }

    private static readonly long MinMicroseconds = -DateTimeOffset.UnixEpoch.Ticks / TimeSpan.TicksPerMicrosecond;

    private static readonly long MaxMicroseconds = (DateTimeOffset.MaxValue.Ticks - DateTimeOffset.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    // PostgreSQL keeps microseconds; the cursor carries exactly what it compares.
    private static long ToMicroseconds(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>The JSON form: short names, since the cursor travels in every "next" link.</summary>
    private sealed record Wire(int V, int P, int? S, bool? D, int? T, string? K, long? Z, long? M, long? I);
}

/// <summary>
/// The sort keys of a row, in the order the search sorts by: <see cref="Tier"/> (relevance with words: 0 for a name equal
/// to the words, 1 for a name starting with them, 2 for the rest), the size or the modification time (those sorts), the
/// name key, and the entry id that breaks every tie. <see cref="Sort"/> and <see cref="Descending"/> must be the search's.
/// </summary>
public sealed record SearchCursorKey(SearchSort Sort, bool Descending, int Tier, string NameKey, long Size, DateTimeOffset ModifiedAt, long Id);
