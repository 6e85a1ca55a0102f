using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>/api/v1/search: the search page's query over HTTP, with the page's URL parameters.</summary>
public static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearchEndpoints(this RouteGroupBuilder api)
    {
        var search = api.MapGroup("/search").RequireAuthorization(Policies.Files).WithTags("Search");

        // Every parameter arrives as text and is read by SearchParameters, so a bad value answers with its own code
        // (search.size_invalid, ...) instead of the framework's bare 400.
        search.MapGet("", async Task<Results<Ok<SearchResults>, ProblemHttpResult>> (
                ClaimsPrincipal user, EntrySearch engine, CancellationToken ct, string? tz = null,
                string? q = null, string? ext = null, string? type = null, string? minSize = null, string? maxSize = null,
                string? modifiedFrom = null, string? modifiedTo = null, string? folder = null, string? sort = null, string? desc = null,
                string? offset = null, string? pageSize = null, string? camera = null, string? takenFrom = null, string? takenTo = null,
                string? after = null) =>
            {
                var zone = TimeZones.Find(tz);
                if (!zone.IsSuccess)
                {
                    return ApiProblems.From(zone.Error!);
                }

                var query = new SearchParameters(q, ext, type, minSize, maxSize, modifiedFrom, modifiedTo, folder, sort, desc, offset, pageSize,
                        camera, takenFrom, takenTo, after)
                    .ToQuery(zone.Value);
                return query.IsSuccess ? (await engine.SearchAsync(user.Actor(), query.Value, ct)).ToOk() : ApiProblems.From(query.Error!);
            })
            .WithName("Search")
            .WithSummary("Finds files and folders the caller may read. Every word of q must be in the name or the description "
                + "(case- and Unicode-form-insensitive; ext:pdf words and ext=pdf,docx keep those extensions); type is all, folders, files, "
                + "images, documents, spreadsheets, presentations, video, audio or archives; minSize/maxSize in bytes; modifiedFrom/modifiedTo "
                + "days (yyyy-MM-dd, inclusive, whole days of tz: an IANA zone such as Asia/Seoul, UTC when absent) or instants with an offset; folder an entry id to search under; sort "
                + "relevance (default), name, size or modified, desc=true to reverse; offset and pageSize (1-200, default 50); camera (text in a "
                + "photo's EXIF make or model) and takenFrom/takenTo (days of its EXIF date, inclusive) keep photos. next is a cursor: pass it "
                + "as after (without offset, the other parameters unchanged) for the next page, which then costs what the first did; "
                + "an offset far down reads every row before it. A cursor is a position only, never a way past a grant; one that is not "
                + "a next cursor of this sort is 400 search.cursor_invalid. total counts "
                + "readable matches up to 10,000 (totalIsCapped: more). A folder the caller cannot read is 404 entry.not_found.");
        return api;
    }
}
