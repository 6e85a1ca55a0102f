using FileVault.Core.Catalog;

namespace FileVault.Core.Search;

public enum SearchSort
{
    /// <summary>Names equal to the typed words first, then names starting with them, then the rest by name; always best first.</summary>
    Relevance = 0,
    Name = 1,
    Size = 2,
    Modified = 3,
}

/// <summary>What kind of entry to find: everything, folders, files, or files of one <see cref="FileType"/>.</summary>
public enum SearchType
{
    All = 0,
    Folders,
    Files,
    Images,
    Documents,
    Spreadsheets,
    Presentations,
    Video,
    Audio,
    Archives,
}

/// <summary>
/// One search of the catalog. Every word of <see cref="Text"/> must appear in an entry's name or its description
/// (case- and Unicode-form-insensitively: "보고서" typed on Windows finds a name a Mac wrote in NFD); an <c>ext:pdf</c>
/// word in the text, like <see cref="Extensions"/>, keeps files with that extension. Every filter is optional.
/// </summary>
/// <param name="MinSize">In bytes, inclusive; a size bound leaves folders out (they have no size).</param>
/// <param name="MaxSize">In bytes, inclusive.</param>
/// <param name="ModifiedFrom">Inclusive.</param>
/// <param name="ModifiedUntil">Exclusive.</param>
/// <param name="FolderId">Only entries under this folder (at any depth); a folder the user cannot read is not found.</param>
/// <param name="Descending">For name, size and modified; relevance is always best first.</param>
/// <param name="Camera">Photos whose camera make or model holds this text (EXIF, case-insensitive).</param>
/// <param name="TakenFrom">Photos taken on this day or later (EXIF time, as the camera's clock had it: no time zone).</param>
/// <param name="TakenUntil">Photos taken before this day (exclusive).</param>
/// <param name="After">Start just after this row (the previous page's <see cref="SearchResults.Next"/>) instead of at <see cref="Offset"/>, which must then be 0.</param>
public sealed record SearchQuery(
    string? Text = null,
    IReadOnlyList<string>? Extensions = null,
    SearchType Type = SearchType.All,
    long? MinSize = null,
    long? MaxSize = null,
    DateTimeOffset? ModifiedFrom = null,
    DateTimeOffset? ModifiedUntil = null,
    long? FolderId = null,
    SearchSort Sort = SearchSort.Relevance,
    bool Descending = false,
    int Offset = 0,
    int PageSize = SearchQuery.DefaultPageSize,
    string? Camera = null,
    DateOnly? TakenFrom = null,
    DateOnly? TakenUntil = null,
    SearchCursor? After = null)
{
    public const int MaxCameraLength = 100;

    public const int DefaultPageSize = 50;

    public const int MaxPageSize = 200;

    /// <summary>How many matches are counted exactly; past it the total reads "10,000+" and no offset starts later (a cursor may).</summary>
    public const int TotalCap = 10_000;

    public const int MaxTextLength = 200;

    public const int MaxWords = 10;

    public const int MaxExtensions = 20;

    /// <summary>Whether anything narrows the search; an empty query lists everything the user may read.</summary>
    public bool IsEmpty => string.IsNullOrWhiteSpace(Text) && (Extensions is null || Extensions.Count == 0) && Type == SearchType.All
        && MinSize is null && MaxSize is null && ModifiedFrom is null && ModifiedUntil is null && FolderId is null
        && string.IsNullOrWhiteSpace(Camera) && TakenFrom is null && TakenUntil is null;

    /// <summary>Whether the query asks about photos' EXIF (camera, taken at).</summary>
    public bool HasPhotoFilter => !string.IsNullOrWhiteSpace(Camera) || TakenFrom is not null || TakenUntil is not null;

    /// <summary>Whether the sort runs from the largest down: name, size and modified may; relevance is always best first.</summary>
    public bool SortsDescending => Descending && Sort != SearchSort.Relevance;

    /// <summary>How many rows come before this page: the cursor's position, else the offset.</summary>
    public int Start => After?.Position ?? Offset;
}

/// <summary>A span of a string in UTF-16 code units, as .NET and JavaScript index strings.</summary>
public readonly record struct TextSpan(int Start, int Length);

/// <summary>
/// One match. <see cref="FolderPath"/> is the containing folder's path in its root ("" for the root itself): the file
/// browser opens <c>/files/{RootId}/{FolderPath}?select={Id}</c>.
/// </summary>
/// <param name="NameMatches">Where the searched words are in <see cref="Name"/> (whole characters, also in an NFD name).</param>
/// <param name="Snippet">A piece of the description around the first searched word it holds, or its start; null without one.</param>
public sealed record SearchHit(
    long Id, string Name, EntryKind Kind, long Size, DateTimeOffset ModifiedAt, string? Extension, int RootId, string RootName,
    long ParentId, string FolderPath, IReadOnlyList<TextSpan> NameMatches, string? Snippet, IReadOnlyList<TextSpan> SnippetMatches);

/// <summary>A page of matches and how many the user may read in all; <see cref="TotalIsCapped"/>: more than <see cref="Total"/> ("10,000+").</summary>
public sealed record SearchResults(IReadOnlyList<SearchHit> Items, int Total, bool TotalIsCapped)
{
    /// <summary>Where the next page starts (<c>after=</c>), null when this page is the last: cheaper than an offset far down.</summary>
    public string? Next { get; init; }

    /// <summary>How the candidates were found (docs/search.md).</summary>
    public SearchPlan Plan { get; init; }

    /// <summary>The words as Hangul when they look typed with the English layout on by mistake (ghldmlfhr → 회의록) and find something.</summary>
    public string? Suggestion { get; init; }

    /// <summary>The name index is catching up with a bulk change: the answer is exact but came from the catalog, slower.</summary>
    public bool IndexCatchingUp { get; init; }

    /// <summary>
    /// Meilisearch is configured but was unreachable, too slow or behind the catalog: PostgreSQL answered instead
    /// (docs/search.md, "Meilisearch").
    /// </summary>
    public bool AnsweredByDatabase { get; init; }
}
