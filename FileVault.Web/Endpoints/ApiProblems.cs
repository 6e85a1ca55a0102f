using FileVault.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>
/// The one mapping from Core's error codes to HTTP: ProblemDetails with the code in <c>extensions.code</c>, so scripts
/// branch on the code and people read the detail (DESIGN invariant 6).
/// </summary>
public static class ApiProblems
{
    public static ProblemHttpResult From(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return From(error.Code, error.Message, StatusFor(error.Code));
    }

    public static ProblemHttpResult From(string code, string message) => From(code, message, StatusFor(code));

    public static ProblemHttpResult From(string code, string message, int status) =>
        TypedResults.Problem(statusCode: status, title: code, detail: message, extensions: new Dictionary<string, object?> { ["code"] = code });

    public static int StatusFor(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return code switch
        {
            "auth.unauthenticated" or "token.invalid" => StatusCodes.Status401Unauthorized,
            "auth.forbidden" or "auth.csrf" or "token.scope_insufficient" or "path.symlink_outside_root" => StatusCodes.Status403Forbidden,
            "rate_limited" or "upload.too_many" => StatusCodes.Status429TooManyRequests,
            // tus (R-UP-1, R-UP-2, R-UP-5, R-UP-8, R-UP-10).
            "upload.expired" => StatusCodes.Status410Gone,
            "upload.offset_mismatch" => StatusCodes.Status409Conflict,
            "upload.locked" => StatusCodes.Status423Locked,
            "upload.too_large" or "upload.exceeds_length" or "upload.quota_exceeded" or "upload.chunk_too_large" => StatusCodes.Status413PayloadTooLarge,
            "upload.content_type" => StatusCodes.Status415UnsupportedMediaType,
            "upload.tus_version" => StatusCodes.Status412PreconditionFailed,
            "upload.checksum_mismatch" => 460,
            "storage.insufficient" => StatusCodes.Status507InsufficientStorage,
            "root.unhealthy" or "lock.unavailable" => StatusCodes.Status503ServiceUnavailable,
            // A file that exists but is no image FileVault can make a thumbnail of.
            "media.unsupported" or "media.too_large" or "media.unreadable" => StatusCodes.Status422UnprocessableEntity,
            "scan.already_running" or "scan.not_running" or "root.exists" or "path.ambiguous" or "name.conflict" or "lock.conflict" or "pat.limit"
                or "user.self" or "user.last_superadmin" or "job.finished" or "job.not_retryable" or "job.in_progress" or "job.failed" or "compress.replaces_source"
                => StatusCodes.Status409Conflict,
            _ when code.EndsWith(".not_found", StringComparison.Ordinal) => StatusCodes.Status404NotFound,
            // user.email_taken, group.name_taken, grant.duplicate
            _ when code.EndsWith("taken", StringComparison.Ordinal) || code.EndsWith(".duplicate", StringComparison.Ordinal)
                => StatusCodes.Status409Conflict,
            // The device desk: a role that may not do the step, or a device whose state does not allow it (rented twice,
            // checked in while not rented, ...).
            "desk.forbidden" => StatusCodes.Status403Forbidden,
            "device.already_rented" or "device.not_rented" or "device.rented" or "device.in_repair" or "device.not_in_repair"
                or "device.retired" or "device.changed"
                => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        };
    }

    /// <summary>200 with the value, or the error's ProblemDetails.</summary>
    public static Results<Ok<T>, ProblemHttpResult> ToOk<T>(this Result<T> result) =>
        result.IsSuccess ? TypedResults.Ok(result.Value) : From(result.Error!);
}
