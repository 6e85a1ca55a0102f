using System.Collections.Frozen;

namespace FileVault.Core.Search;

/// <summary>What kind of content a file holds, judged by its extension.</summary>
public enum FileType
{
    Image,
    Document,
    Spreadsheet,
    Presentation,
    Video,
    Audio,
    Archive,
}

/// <summary>
/// The one table of which extensions make which <see cref="FileType"/>: the search's type filter asks it in SQL, the
/// file icons ask it per row, so a type shows the icon it is searched by.
/// </summary>
public static class FileTypes
{
    private static readonly FrozenDictionary<FileType, string[]> ByType = new Dictionary<FileType, string[]>
    {
        [FileType.Image] = ["jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "bmp", "tif", "tiff", "svg", "raw", "cr2", "nef", "arw", "dng", "psd", "ai"],
        // Korean offices write Hangul (hwp, hwpx) as often as Word.
        [FileType.Document] = ["pdf", "doc", "docx", "hwp", "hwpx", "odt", "rtf", "txt", "md", "pages"],
        [FileType.Spreadsheet] = ["xls", "xlsx", "xlsm", "csv", "ods", "cell", "numbers"],
        [FileType.Presentation] = ["ppt", "pptx", "odp", "show", "key"],
        [FileType.Video] = ["mp4", "mov", "avi", "mkv", "wmv", "webm", "m4v", "mpg", "mpeg", "3gp"],
        [FileType.Audio] = ["mp3", "wav", "m4a", "aac", "flac", "ogg", "wma"],
        [FileType.Archive] = ["zip", "7z", "rar", "tar", "gz", "tgz", "bz2", "xz", "alz", "egg"],
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, FileType> ByExtension =
        ByType.SelectMany(pair => pair.Value.Select(extension => (extension, pair.Key)))
            .ToFrozenDictionary(p => p.extension, p => p.Key, StringComparer.Ordinal);

    /// <summary>The lower-case extensions (without the dot) of a type.</summary>
    public static IReadOnlyList<string> Extensions(FileType type) => ByType[type];

    /// <summary>The extensions a search's type chip keeps (images, documents, …); the other chips are not file types.</summary>
    public static IReadOnlyList<string> Extensions(SearchType type) => Extensions(type switch
    {
        SearchType.Images => FileType.Image,
        SearchType.Documents => FileType.Document,
        SearchType.Spreadsheets => FileType.Spreadsheet,
        SearchType.Presentations => FileType.Presentation,
        SearchType.Video => FileType.Video,
        SearchType.Audio => FileType.Audio,
        SearchType.Archives => FileType.Archive,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a file type."),
    });

    /// <summary>The type of a lower-case extension (as <see cref="Catalog.Entry.Extension"/> stores it); null for one not in the table.</summary>
    public static FileType? Of(string? extension) =>
        extension is not null && ByExtension.TryGetValue(extension, out var type) ? type : null;
}
