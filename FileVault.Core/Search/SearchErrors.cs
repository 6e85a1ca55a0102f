namespace FileVault.Core.Search;

/// <summary>The refusals of a search, each with a stable code that the API returns and the page explains.</summary>
public static class SearchErrors
{
    public static Error QueryTooLong(int length) =>
        new("search.query_too_long", $"A search has at most {SearchQuery.MaxTextLength} characters, not {length}.");

    public static Error TooManyTerms(int count) =>
        new("search.too_many_terms", $"A search has at most {SearchQuery.MaxWords} words, not {count}.");

    public static readonly Error ExtensionInvalid = new("search.extension_invalid",
        $"Give at most {SearchQuery.MaxExtensions} extensions of 1 to {SearchCriteria.MaxExtensionLength} characters, such as ext:pdf or ext:xlsx,docx.");

    public static readonly Error TypeInvalid = new("search.type_invalid",
        "Unknown type: all, folders, files, images, documents, spreadsheets, presentations, video, audio or archives.");

    public static readonly Error SortInvalid = new("search.sort_invalid", "Unknown sort: relevance, name, size or modified; desc is true or false.");

    public static readonly Error SizeInvalid = new("search.size_invalid", "Sizes are whole bytes, at least 0, and the minimum is not above the maximum.");

    public static readonly Error DateInvalid = new("search.date_invalid",
        "Dates are yyyy-MM-dd (a day in the server's time zone) or a date and time with an offset, and the range starts before it ends.");

    public static readonly Error PhotoInvalid = new("search.photo_invalid",
        $"A camera is at most {SearchQuery.MaxCameraLength} characters; taken-at days are yyyy-MM-dd and the range starts before it ends.");

    public static readonly Error PageInvalid = new("search.page_invalid",
        $"A page has 1 to {SearchQuery.MaxPageSize} results and starts at 0 to {SearchQuery.TotalCap}.");

    public static readonly Error CursorInvalid = new("search.cursor_invalid",
        "after is the next cursor of an earlier page of the same search, unchanged: same sort and direction, and no offset beside it.");

    public static readonly Error FolderInvalid = new("search.folder_invalid", "The folder is an entry id (a whole number).");

    public static readonly Error FolderNotFound = new("entry.not_found", "No such folder.");

    public static readonly Error NotAFolder = new("entry.not_a_folder", "That entry is not a folder.");
}
