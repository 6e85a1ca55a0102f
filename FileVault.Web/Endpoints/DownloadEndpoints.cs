using System.Security.Claims;
using FileVault.Core.Access;
using FileVault.Core.Downloads;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace FileVault.Web.Endpoints;

/// <summary><c>name</c>: the archive's name (".zip" added when missing); default the one item's name, else FileVault-&lt;time&gt;.zip.</summary>
public sealed record ZipRequest(IReadOnlyList<long>? Ids, string? Name);

/// <summary>
/// Downloads: one file with Range, If-Range and ETag (or handed to nginx by X-Accel-Redirect when configured), several
/// items as a ZIP streamed while it is built. The API takes a bearer token or the cookie (GET needs nothing more, the ZIP
/// POST the CSRF header rule of <see cref="ApiRequestGuard"/>); the browser's ZIP comes from an antiforgery-checked form
/// post, since a navigation cannot add a header and a large ZIP must not pass through script memory. No token ever goes
/// into a URL (R-DL-7).
/// </summary>
public static class DownloadEndpoints
{
    public const string ZipFormPath = "/download/zip";

    private static readonly string[] ContentMethods = [HttpMethods.Get, HttpMethods.Head];

    public static string ContentPath(long entryId) => $"{ApiEndpoints.Prefix}/entries/{entryId}/content";

    public static RouteGroupBuilder MapDownloadEndpoints(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("").RequireAuthorization(Policies.Files).WithTags("Downloads");

        // HEAD too: download managers and `curl -I` ask for the size and ETag before they fetch.
        files.MapMethods("/entries/{id:long}/content", ContentMethods, async Task<Results<FileStreamHttpResult, Ok, ProblemHttpResult>> (
                long id, ClaimsPrincipal user, HttpContext http, DownloadService downloads, CancellationToken ct, bool inline = false) =>
            {
                var opened = await downloads.OpenFileAsync(user.Actor(), id, StartsAtFirstByte(http.Request), ct);
                if (!opened.IsSuccess)
                {
                    return ApiProblems.From(opened.Error!);
                }

                var file = opened.Value;
                http.Response.RegisterForDispose(file);
                DownloadHeaders.Apply(http.Response, file.Name, inline && DownloadHeaders.IsInlineImage(file.MimeType));
                var contentType = file.MimeType ?? "application/octet-stream";
                if (file.AccelRedirectPath is { } accel && http.Request.Headers.ContainsKey(DownloadHeaders.AccelCapableHeader))
                {
                    // nginx sends the bytes (with ranges) from its internal location; the check above was ours.
                    http.Response.Headers["X-Accel-Redirect"] = DownloadHeaders.AccelRedirectUri(accel);
                    http.Response.ContentType = contentType;
                    return TypedResults.Ok();
                }

                return TypedResults.File(file.OpenContent(), contentType, lastModified: file.LastModified,
                    entityTag: new EntityTagHeaderValue(file.EntityTag), enableRangeProcessing: true);
            })
            .Produces(StatusCodes.Status206PartialContent)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .WithName("DownloadEntry")
            .WithSummary("A file's bytes as an attachment (inline=true only for JPEG, PNG, GIF and WebP), with Range, If-Range and a strong ETag that "
                + "changes when the file does; 404 for what the caller cannot read, 400 entry.not_a_file for folders and links.");

        files.MapPost("/downloads/zip", async Task<Results<PushStreamHttpResult, ProblemHttpResult>> (
                ZipRequest body, ClaimsPrincipal user, HttpContext http, DownloadService downloads, CancellationToken ct) =>
                await ZipAsync(http, downloads, user.Actor(), body.Ids ?? [], body.Name, ct))
            .WithMetadata(new ReadOnlyPost())
            .WithName("DownloadZip")
            .WithSummary("Files and folders from anywhere the caller can read (at most 1,000 ids) as one application/zip, streamed while it is built. "
                + "Links and denied subfolders are left out; a file that changes while it is read breaks the download instead of completing it.");
        return api;
    }

    /// <summary>The browser's ZIP download: a form post (ids fields, optional name), cookie-authenticated and antiforgery-checked (R-AUTH-8).</summary>
    public static IEndpointRouteBuilder MapDownloadForm(this IEndpointRouteBuilder app)
    {
        // Form-bound, so UseAntiforgery validates the token before the handler runs.
        app.MapPost(ZipFormPath, async Task<Results<PushStreamHttpResult, ProblemHttpResult>> (
                [FromForm(Name = "ids")] long[]? ids, [FromForm(Name = "name")] string? name, ClaimsPrincipal user, HttpContext http,
                DownloadService downloads, CancellationToken ct) =>
                await ZipAsync(http, downloads, user.Actor(), ids ?? [], name, ct))
            .RequireAuthorization(Policies.Files)
            .WithName("DownloadZipForm");
        return app;
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ZipAsync(
        HttpContext http, DownloadService downloads, AccessSubject actor, IReadOnlyList<long> ids, string? name, CancellationToken ct)
    {
        var prepared = await downloads.PrepareZipAsync(actor, ids, name, ct);
        if (!prepared.IsSuccess)
        {
            return ApiProblems.From(prepared.Error!);
        }

        DownloadHeaders.Apply(http.Response, prepared.Value.FileName);
        return TypedResults.Stream(async body =>
        {
            // A file changed on the way: end the connection without the archive's end, so the client sees a broken download (R-DL-4).
            if (await downloads.WriteZipAsync(prepared.Value, body, http.RequestAborted) is not null)
            {
                http.Abort();
            }
        }, "application/zip");
    }

    // Only a download from the first byte is a new one for the audit log; a resumed or partial request is not.
    /// <summary>Whether this request sends the file from its start: a download to audit (a HEAD, or a resumed range, is not).</summary>
    private static bool StartsAtFirstByte(HttpRequest request) =>
        !HttpMethods.IsHead(request.Method)
        && (!RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var range) || range.Ranges.FirstOrDefault()?.From == 0);
}
