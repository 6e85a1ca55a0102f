using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Operations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using FileVault.Core.Jobs;

namespace FileVault.Web.Endpoints;

/// <summary><c>conflict</c>: "ask" (default: 409 name.conflict listing the names), "skip", "keepBoth" or "replace".</summary>
public sealed record TransferRequest(IReadOnlyList<long>? EntryIds, long DestinationId, string? Conflict);

public sealed record DeleteRequest(IReadOnlyList<long>? EntryIds);

/// <summary><c>name</c>: the archive's name (".zip" added when missing; default "&lt;name&gt;.zip" or "&lt;folder&gt;.zip").</summary>
public sealed record CompressRequest(IReadOnlyList<long>? EntryIds, string? Name, string? Conflict);

public sealed record NewFolderRequest(long ParentId, string? Name);

public sealed record RenameRequest(string? Name);

public sealed record JobAccepted(long JobId);

public sealed record EntryChanged(long Id);

/// <summary>
/// Move, copy, delete, new folder and rename: the calls the file browser makes, with the caller as the acting user. An
/// Idempotency-Key header makes a retried request answer with its first job (R-OP-7).
/// </summary>
public static class OperationEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapOperationEndpoints(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("").RequireAuthorization(Policies.Files).WithTags("File operations");

        files.MapPost("/operations/move", (TransferRequest body, ClaimsPrincipal user, FileOperations operations,
                [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
                TransferAsync(TransferKind.Move, body, user, operations, key, ct))
            .WithName("MoveEntries")
            .WithSummary("Queues a move of entries into a folder of the same root; 202 with the job id, 409 name.conflict listing taken names when conflict is ask.");

        files.MapPost("/operations/copy", (TransferRequest body, ClaimsPrincipal user, FileOperations operations,
                [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
                TransferAsync(TransferKind.Copy, body, user, operations, key, ct))
            .WithName("CopyEntries")
            .WithSummary("Queues a copy of entries into a folder of the same root; 202 with the job id, 409 name.conflict listing taken names when conflict is ask.");

        files.MapPost("/operations/delete", async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> (
                DeleteRequest body, ClaimsPrincipal user, FileOperations operations, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
                Accepted(await operations.DeleteAsync(user.Actor(), body.EntryIds ?? [], key, ct)))
            .WithName("DeleteEntries")
            .WithSummary("Queues moving entries to the trash; 202 with the job id.");

        files.MapPost("/operations/compress", async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> (
                CompressRequest body, ClaimsPrincipal user, CompressOperations compressions, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
                ParseConflict(body.Conflict) is { } conflict
                    ? Accepted(await compressions.CompressAsync(user.Actor(), body.EntryIds ?? [], body.Name, conflict, key, ct))
                    : ConflictInvalid())
            .WithName("CompressEntries")
            .WithSummary("Queues compressing sibling entries into a .zip in their folder; 202 with the job id (its result entry is the archive), 409 name.conflict when the name is taken and conflict is ask.");

        files.MapPost("/folders", async Task<Results<Created<EntryChanged>, ProblemHttpResult>> (
                NewFolderRequest body, ClaimsPrincipal user, EntryOperations entries, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
            {
                var created = await entries.CreateFolderAsync(user.Actor(), body.ParentId, body.Name ?? "", key, ct);
                return created.IsSuccess
                    ? TypedResults.Created($"{ApiEndpoints.Prefix}/entries/{created.Value}", new EntryChanged(created.Value))
                    : ApiProblems.From(created.Error!);
            })
            .WithName("CreateFolder")
            .WithSummary("Creates a folder (name stored in NFC) in a folder the caller may write; 201 with the new entry's id.");

        files.MapPost("/entries/{id:long}/rename", async Task<Results<Ok<EntryChanged>, ProblemHttpResult>> (
                long id, RenameRequest body, ClaimsPrincipal user, EntryOperations entries, [FromHeader(Name = IdempotencyHeader)] string? key, CancellationToken ct) =>
            {
                var renamed = await entries.RenameAsync(user.Actor(), id, body.Name ?? "", key, ct);
                return renamed.IsSuccess ? TypedResults.Ok(new EntryChanged(renamed.Value)) : ApiProblems.From(renamed.Error!);
            })
            .WithName("RenameEntry")
            .WithSummary("Renames a file or folder in place; 409 name.conflict when a sibling has the name (case and Unicode form aside).");
        return api;
    }

    /// <summary>A conflict choice from the API's spelling; null for an unknown one.</summary>
    public static ConflictChoice? ParseConflict(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "ask" => ConflictChoice.Ask,
        "skip" => ConflictChoice.Skip,
        "keepboth" or "keep_both" => ConflictChoice.KeepBoth,
        "replace" => ConflictChoice.Replace,
        _ => null,
    };

    public static ProblemHttpResult ConflictInvalid() =>
        ApiProblems.From("operation.conflict_invalid", "conflict is one of ask, skip, keepBoth, replace.");

    /// <summary>202 with the job id and its address, or the error's ProblemDetails.</summary>
    public static Results<Accepted<JobAccepted>, ProblemHttpResult> Accepted(Result<long> job) =>
        job.IsSuccess ? TypedResults.Accepted($"{ApiEndpoints.Prefix}/jobs/{job.Value}", new JobAccepted(job.Value)) : ApiProblems.From(job.Error!);

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> TransferAsync(
        TransferKind kind, TransferRequest body, ClaimsPrincipal user, FileOperations operations, string? key, CancellationToken ct)
    {
        if (ParseConflict(body.Conflict) is not { } conflict)
        {
            return ConflictInvalid();
        }

        var actor = user.Actor();
        var ids = body.EntryIds ?? [];
        var job = await operations.TransferAsync(actor, kind, ids, body.DestinationId, conflict, key, ct);
        if (job.Error is { Code: "name.conflict" } error)
        {
            // The names, for a script to show and choose: the same list the browser's conflict dialog shows.
            var names = await operations.FindConflictsAsync(actor, ids, body.DestinationId, ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: error.Code, detail: error.Message,
                extensions: new Dictionary<string, object?> { ["code"] = error.Code, ["names"] = names.IsSuccess ? names.Value : [] });
        }

        return Accepted(job);
    }
}
