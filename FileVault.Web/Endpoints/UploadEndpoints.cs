using System.Globalization;
using System.Security.Claims;
using System.Text;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Uploads;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Endpoints;

/// <summary>
/// Resumable uploads over tus 1.0 (https://tus.io/protocols/resumable-upload) with the creation, termination, checksum
/// and expiration extensions, as tus-js-client speaks it. Upload-Metadata keys: <c>filename</c> (or <c>name</c>),
/// <c>destination</c> (the folder's entry id), optional <c>relativePath</c> (a folder upload's "a/b/file.txt", which names
/// the file), <c>sha256</c> (hex, compared at completion) and <c>onConflict</c> (<c>replace</c>: a file holding the name
/// goes to the trash at completion, if the caller may replace it; otherwise a taken name is 409); or the same digest in a <c>FileVault-Sha256</c> header on the
/// last PATCH, from a client that hashes the file while it reads it. The PATCH that brings the last byte answers with the new
/// entry's id in <c>FileVault-Entry-Id</c>. A cookie-authenticated request passes the CSRF rule by its Tus-Resumable
/// header (<see cref="ApiRequestGuard"/>). Errors carry a ProblemDetails code where tus allows a body.
/// </summary>
public static class UploadEndpoints
{
    public const string TusVersion = "1.0.0";
    public const string EntryIdHeader = "FileVault-Entry-Id";
    public const string FileSha256Header = "FileVault-Sha256";
    public const string ChunkSizeHeader = "FileVault-Chunk-Size";
    private const string OffsetContentType = "application/offset+octet-stream";

    public static string UploadPath(string id) => $"{ApiEndpoints.Prefix}/uploads/{id}";

    public static RouteGroupBuilder MapUploadEndpoints(this RouteGroupBuilder api)
    {
        var uploads = api.MapGroup("/uploads").WithTags("Uploads");
        uploads.MapMethods("", [HttpMethods.Options], (HttpContext http, IOptions<UploadOptions> options) =>
            {
                var headers = http.Response.Headers;
                headers["Tus-Resumable"] = TusVersion;
                headers["Tus-Version"] = TusVersion;
                headers["Tus-Extension"] = "creation,creation-with-upload,termination,checksum,expiration";
                headers["Tus-Max-Size"] = options.Value.MaxSizeBytes.ToString(CultureInfo.InvariantCulture);
                headers["Tus-Checksum-Algorithm"] = string.Join(',', ChunkChecksum.Algorithms);
                headers[ChunkSizeHeader] = options.Value.ChunkBytes.ToString(CultureInfo.InvariantCulture);
                return TypedResults.NoContent();
            })
            .AllowAnonymous()
            .WithName("UploadCapabilities")
            .WithSummary("tus discovery: the protocol version, extensions, Tus-Max-Size and checksum algorithms this server supports, "
                + "and in FileVault-Chunk-Size the bytes per request its browser client sends.");

        uploads.MapPost("/preflight", async Task<Results<Ok<UploadPreflightResponse>, ProblemHttpResult>> (
                UploadPreflightRequest body, ClaimsPrincipal user, UploadPlanner planner, CancellationToken ct) =>
            {
                var answers = await planner.PreflightAsync(user.Actor(), body.Destination, body.Paths ?? [], ct);
                return answers.IsSuccess
                    ? TypedResults.Ok(new UploadPreflightResponse(answers.Value.Select(a => new UploadPreflightItem(
                        a.Path, a.State.ToString().ToLowerInvariant(), a.Replaceable, a.IsFolder, a.Code)).ToList()))
                    : ApiProblems.From(answers.Error!);
            })
            .RequireAuthorization(Policies.Files)
            .WithName("PreflightUpload")
            .WithSummary("Before sending: for each relative path (\"a/b/c.txt\") under the destination folder id, state free, taken (with replaceable), "
                + "unavailable (held by something the caller may not see, or under a folder they may not read or write) or invalid (with the path "
                + "guard's code). 404 for a destination the caller may not read, 403 without Write. Advice only: creation and completion check again.");

        var files = uploads.MapGroup("").RequireAuthorization(Policies.Files).AddEndpointFilter<TusResumableFilter>();
        files.MapPost("", async Task<Results<Created, ProblemHttpResult>> (
                HttpContext http, ClaimsPrincipal user, UploadStore store, IOptions<UploadOptions> options, CancellationToken ct) =>
            {
                var request = ParseCreation(http.Request);
                if (!request.IsSuccess)
                {
                    return ApiProblems.From(request.Error!);
                }

                // creation-with-upload: a body of application/offset+octet-stream is the upload's first bytes (a small file's all).
                Result<UploadState> created;
                if (string.Equals(http.Request.ContentType, OffsetContentType, StringComparison.OrdinalIgnoreCase))
                {
                    var body = ParseBody(http, options.Value);
                    if (!body.IsSuccess)
                    {
                        return ApiProblems.From(body.Error!);
                    }

                    created = await store.CreateWithBodyAsync(user.Actor(), request.Value, http.Request.Body, http.Request.ContentLength,
                        body.Value.Checksum, body.Value.FileSha256, ct);
                    if (created.IsSuccess)
                    {
                        SetProgress(http.Response, created.Value);
                    }
                }
                else
                {
                    created = await store.CreateAsync(user.Actor(), request.Value, ct);
                }

                if (!created.IsSuccess)
                {
                    return ApiProblems.From(created.Error!);
                }

                SetExpires(http.Response, created.Value);
                return TypedResults.Created(UploadPath(created.Value.Id));
            })
            .WithName("CreateUpload")
            .WithSummary("tus creation: Upload-Length and Upload-Metadata (filename, destination folder id, optional relativePath and sha256); "
                + "201 with the upload's Location. Destination, names, write permission, size, per-user limits and free space are checked first.");

        files.MapMethods("/{id}", [HttpMethods.Head], async Task<Results<Ok, ProblemHttpResult>> (
                string id, HttpContext http, ClaimsPrincipal user, UploadStore store, CancellationToken ct) =>
            {
                http.Response.Headers.CacheControl = "no-store";
                var state = await store.GetAsync(user.Actor(), id, ct);
                if (!state.IsSuccess)
                {
                    return ApiProblems.From(state.Error!);
                }

                http.Response.Headers["Upload-Offset"] = state.Value.Offset.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["Upload-Length"] = state.Value.Length.ToString(CultureInfo.InvariantCulture);
                SetExpires(http.Response, state.Value);
                return TypedResults.Ok();
            })
            .WithName("GetUploadOffset")
            .WithSummary("tus HEAD: the bytes stored so far (Upload-Offset) and Upload-Length; 404 for an upload that is not the caller's.");

        files.MapPatch("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (
                string id, HttpContext http, ClaimsPrincipal user, UploadStore store, IOptions<UploadOptions> options, CancellationToken ct) =>
            {
                var request = http.Request;
                if (!string.Equals(request.ContentType, OffsetContentType, StringComparison.OrdinalIgnoreCase))
                {
                    return ApiProblems.From("upload.content_type", $"A PATCH body is {OffsetContentType}.");
                }

                if (!long.TryParse(request.Headers["Upload-Offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                {
                    return ApiProblems.From("upload.offset_invalid", "Upload-Offset must be a whole number of bytes.");
                }

                var body = ParseBody(http, options.Value);
                if (!body.IsSuccess)
                {
                    return ApiProblems.From(body.Error!);
                }

                var state = await store.AppendAsync(user.Actor(), id, offset, request.Body, request.ContentLength, body.Value.Checksum, body.Value.FileSha256, ct);
                if (!state.IsSuccess)
                {
                    return ApiProblems.From(state.Error!);
                }

                SetProgress(http.Response, state.Value);
                SetExpires(http.Response, state.Value);
                return TypedResults.NoContent();
            })
            .Accepts<Stream>(OffsetContentType)
            .WithName("AppendUpload")
            .WithSummary("tus PATCH: bytes at exactly Upload-Offset (409 otherwise, nothing written), optional Upload-Checksum sha1/sha256 "
                + "(460 on mismatch, chunk discarded), 423 while another request writes the same upload. The last chunk places the file "
                + "and answers with FileVault-Entry-Id. A client that hashes the file while it reads it sends the whole file's SHA-256 (hex) "
                + "with the last chunk in FileVault-Sha256; it is compared at completion (400 upload.hash_mismatch, nothing created).");

        files.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, ClaimsPrincipal user, UploadStore store, CancellationToken ct) =>
            {
                var terminated = await store.TerminateAsync(user.Actor(), id, ct);
                return terminated.IsSuccess ? TypedResults.NoContent() : ApiProblems.From(terminated.Error!);
            })
            .WithName("TerminateUpload")
            .WithSummary("tus termination: the unfinished upload and its stored bytes are deleted; afterwards the upload answers 404.");
        return api;
    }

    private static Result<UploadRequest> ParseCreation(HttpRequest request)
    {
        if (request.Headers.ContainsKey("Upload-Defer-Length"))
        {
            return new Error("upload.metadata_invalid", "Upload-Defer-Length is not supported: declare Upload-Length.");
        }

        if (!long.TryParse(request.Headers["Upload-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return new Error("upload.metadata_invalid", "Upload-Length must be a whole number of bytes.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in request.Headers["Upload-Metadata"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(' ', 2);
            try
            {
                metadata[parts[0]] = parts.Length == 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[1])) : "";
            }
            catch (FormatException)
            {
                return new Error("upload.metadata_invalid", $"Upload-Metadata value of {parts[0]} is not base64.");
            }
        }

        if (!metadata.TryGetValue("destination", out var destination)
            || !long.TryParse(destination, NumberStyles.None, CultureInfo.InvariantCulture, out var folderId))
        {
            return new Error("upload.metadata_invalid", "Upload-Metadata must carry destination: the id of the folder to upload into.");
        }

        var fileName = metadata.GetValueOrDefault("filename") ?? metadata.GetValueOrDefault("name");
        var onConflict = metadata.GetValueOrDefault("onConflict");
        if (onConflict is not (null or "" or "fail" or "replace"))
        {
            return new Error("upload.metadata_invalid", "Upload-Metadata onConflict is fail (the default) or replace.");
        }

        return new UploadRequest(folderId, fileName, metadata.GetValueOrDefault("relativePath"), length, metadata.GetValueOrDefault("sha256"), onConflict == "replace");
    }

    /// <summary>What a request carrying bytes (PATCH, or a POST with creation-with-upload) says of them; sets Kestrel's body limit.</summary>
    private static Result<(ChunkChecksum? Checksum, byte[]? FileSha256)> ParseBody(HttpContext http, UploadOptions options)
    {
        var request = http.Request;
        var checksum = ParseChecksum(request.Headers["Upload-Checksum"]);
        if (!checksum.IsSuccess)
        {
            return checksum.Error!;
        }

        // One chunk is the most a request may carry (R-DEG-5); Kestrel cuts off a body past it.
        var maxChunk = options.MaxChunkBytes;
        if (request.ContentLength > maxChunk)
        {
            return new Error("upload.chunk_too_large", $"A request may carry at most {maxChunk} bytes of an upload.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxChunk;
        }

        byte[]? fileSha256 = null;
        if (request.Headers[FileSha256Header].ToString() is { Length: > 0 } hex && !TryParseSha256(hex, out fileSha256))
        {
            return new Error("upload.metadata_invalid", $"{FileSha256Header} must be 64 hexadecimal digits.");
        }

        return (checksum.Value, fileSha256);
    }

    /// <summary>Upload-Offset, and the new entry's id once the upload is complete.</summary>
    private static void SetProgress(HttpResponse response, UploadState state)
    {
        response.Headers["Upload-Offset"] = state.Offset.ToString(CultureInfo.InvariantCulture);
        if (state.EntryId is { } entryId)
        {
            response.Headers[EntryIdHeader] = entryId.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static Result<ChunkChecksum?> ParseChecksum(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return Result<ChunkChecksum?>.Success(null);
        }

        var parts = header.Split(' ', 2);
        if (!ChunkChecksum.Algorithms.Contains(parts[0]))
        {
            return new Error("upload.checksum_unsupported", "Upload-Checksum supports sha1 and sha256.");
        }

        try
        {
            return new ChunkChecksum(parts[0], Convert.FromBase64String(parts.Length == 2 ? parts[1] : ""));
        }
        catch (FormatException)
        {
            return new Error("upload.checksum_unsupported", "Upload-Checksum's digest is not base64.");
        }
    }

    private static bool TryParseSha256(string hex, out byte[]? digest)
    {
        digest = hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? Convert.FromHexString(hex) : null;
        return digest is not null;
    }

    private static void SetExpires(HttpResponse response, UploadState state)
    {
        if (state.EntryId is null)
        {
            response.Headers["Upload-Expires"] = state.ExpiresAt.ToString("R", CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>The preflight's question: the destination folder's id and the relative paths of what is about to be sent.</summary>
public sealed record UploadPreflightRequest(long Destination, IReadOnlyList<string>? Paths);

/// <summary>One path's answer: <c>free</c>, <c>taken</c>, <c>unavailable</c> or <c>invalid</c>.</summary>
public sealed record UploadPreflightItem(string Path, string State, bool Replaceable, bool IsFolder, string? Code);

public sealed record UploadPreflightResponse(IReadOnlyList<UploadPreflightItem> Items);

/// <summary>tus requests other than OPTIONS must name the protocol version (412 otherwise); every answer names it.</summary>
internal sealed class TusResumableFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers["Tus-Resumable"] = UploadEndpoints.TusVersion;
        if (http.Request.Headers["Tus-Resumable"] != UploadEndpoints.TusVersion)
        {
            http.Response.Headers["Tus-Version"] = UploadEndpoints.TusVersion;
            return ValueTask.FromResult<object?>(ApiProblems.From("upload.tus_version", $"This server speaks tus {UploadEndpoints.TusVersion}: send Tus-Resumable: {UploadEndpoints.TusVersion}."));
        }

        return next(context);
    }
}
