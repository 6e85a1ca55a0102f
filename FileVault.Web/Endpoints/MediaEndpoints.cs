using System.Globalization;
using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Media;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Endpoints;

/// <summary>
/// Thumbnails and EXIF of images. Like downloads, they take the cookie (the file browser's &lt;img&gt; tags) or a bearer token
/// (scripts), never a token in the URL; Core checks read access, so what the caller cannot read is 404.
/// </summary>
public static class MediaEndpoints
{
    public static string ThumbnailPath(long entryId, ThumbnailSize size) =>
        $"{ApiEndpoints.Prefix}/entries/{entryId}/thumbnail?size={size.ToString().ToLowerInvariant()}";

    public static string TrashThumbnailPath(long trashItemId, ThumbnailSize size) =>
        $"{ApiEndpoints.Prefix}/trash/{trashItemId}/thumbnail?size={size.ToString().ToLowerInvariant()}";

    /// <summary>A thumbnail with its strong ETag, private caching and no sniffing; 304 when the caller has it.</summary>
    internal static Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult> Send(HttpContext http, Thumbnail thumbnail, MediaOptions options)
    {
        var headers = http.Response.Headers;
        headers.ETag = thumbnail.EntityTag;
        // Private: whether this user may see the image is decided per request; a shared cache must not keep it.
        headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"private, max-age={(long)options.BrowserMaxAge.TotalSeconds}");
        headers.XContentTypeOptions = "nosniff";
        return thumbnail.Content is { } content
            ? TypedResults.File(content, thumbnail.ContentType)
            : TypedResults.StatusCode(StatusCodes.Status304NotModified);
    }

    public static RouteGroupBuilder MapMediaEndpoints(this RouteGroupBuilder api)
    {
        var media = api.MapGroup("").RequireAuthorization(Policies.Files).WithTags("Media");

        media.MapGet("/entries/{id:long}/thumbnail", async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> (
                long id, ClaimsPrincipal user, HttpContext http, ThumbnailService thumbnails, IOptions<MediaOptions> options, CancellationToken ct,
                string? size = "medium") =>
            {
                if (ThumbnailSizes.Parse(size) is not { } parsed)
                {
                    return ApiProblems.From("media.invalid_size", "size must be small (150 px), medium (300 px) or large (800 px).");
                }

                Result<Thumbnail> result;
                try
                {
                    result = await thumbnails.GetAsync(user.Actor(), id, parsed, http.Request.Headers.IfNoneMatch.ToString(), ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // The browser dropped the request (a tile scrolled away, the grid became a list): nothing to answer or log as an error.
                    return TypedResults.StatusCode(StatusCodes.Status499ClientClosedRequest);
                }

                if (!result.IsSuccess)
                {
                    return ApiProblems.From(result.Error!);
                }

                return Send(http, result.Value, options.Value);
            })
            .Produces(StatusCodes.Status304NotModified)
            .WithName("EntryThumbnail")
            .WithSummary("An image's thumbnail (size small 150 px, medium 300 px, large 800 px on the longest side; WebP unless set to JPEG) with a "
                + "strong ETag (If-None-Match gives 304); 404 for what the caller cannot read, 422 media.unsupported, media.too_large or media.unreadable "
                + "for files that are not images FileVault can read.");

        media.MapGet("/entries/{id:long}/exif", async Task<Results<Ok<PhotoDetails>, ProblemHttpResult>> (
                long id, ClaimsPrincipal user, ExifService exif, CancellationToken ct) =>
                (await exif.GetAsync(user.Actor(), id, ct)).ToOk())
            .WithName("EntryExif")
            .WithSummary("A photo's camera, lens, time taken (the camera's local time), upright size, orientation, exposure and GPS position from its "
                + "EXIF, read once per version of the file; 404 for what the caller cannot read, 422 media.unsupported for files that are not images.");
        return api;
    }
}
