using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Media;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Endpoints;

public sealed record RestoreRequest(IReadOnlyList<long>? TrashIds, string? Conflict);

/// <summary>Without <c>trashIds</c>, empties the caller's trash (an admin's: everyone's).</summary>
public sealed record PurgeRequest(IReadOnlyList<long>? TrashIds);

/// <summary>One job per storage root the items belong to.</summary>
public sealed record JobsAccepted(IReadOnlyList<long> JobIds);

/// <summary>/api/v1/trash: the caller's deleted items (an admin's: everyone's), restore and purge.</summary>
public static class TrashEndpoints
{
    public static RouteGroupBuilder MapTrashEndpoints(this RouteGroupBuilder api)
    {
        var trash = api.MapGroup("/trash").RequireAuthorization(Policies.Files).WithTags("Trash");

        trash.MapGet("", async (ClaimsPrincipal user, TrashQueries queries, CancellationToken ct) =>
                TypedResults.Ok(await queries.ListAsync(user.Actor(), ct)))
            .WithName("ListTrash")
            .WithSummary("The items the caller deleted, newest first (admins: everyone's), with when each is purged.");

        trash.MapGet("/{id:long}/thumbnail", async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ProblemHttpResult>> (
                long id, ClaimsPrincipal user, HttpContext http, TrashQueries queries, ThumbnailService thumbnails, IOptions<MediaOptions> options,
                CancellationToken ct, string? size = "small") =>
            {
                if (ThumbnailSizes.Parse(size) is not { } parsed)
                {
                    return ApiProblems.From("media.invalid_size", "size must be small (150 px), medium (300 px) or large (800 px).");
                }

                // The trash's own rule first (the caller's item, readable with the grants it took along); only then the cache.
                var found = await queries.FindFileAsync(user.Actor(), id, ct);
                if (!found.IsSuccess)
                {
                    return ApiProblems.From(found.Error!);
                }

                var file = found.Value;
                var result = await thumbnails.GetCachedAsync(file.EntryId, file.Size, file.ModifiedAt, file.Name, parsed, http.Request.Headers.IfNoneMatch.ToString(), ct);
                return result.IsSuccess ? MediaEndpoints.Send(http, result.Value, options.Value) : ApiProblems.From(result.Error!);
            })
            .Produces(StatusCodes.Status304NotModified)
            .WithName("TrashThumbnail")
            .WithSummary("The thumbnail a deleted image had while it was live, if one was kept (404 trash.not_found for what the caller does not see in "
                + "their trash, 404 media.not_found when none was kept; nothing is decoded from the trash).");

        trash.MapPost("/restore", async Task<Results<Accepted<JobsAccepted>, ProblemHttpResult>> (
                RestoreRequest body, ClaimsPrincipal user, TrashOperations operations,
                [FromHeader(Name = OperationEndpoints.IdempotencyHeader)] string? key, CancellationToken ct) =>
                OperationEndpoints.ParseConflict(body.Conflict) is { } conflict
                    ? Accepted(await operations.RestoreAsync(user.Actor(), body.TrashIds ?? [], conflict, key, ct))
                    : OperationEndpoints.ConflictInvalid())
            .WithName("RestoreTrash")
            .WithSummary("Queues putting items back where they were (missing folders are re-created); needs Write there. 202 with the job ids.");

        trash.MapPost("/purge", async Task<Results<Accepted<JobsAccepted>, ProblemHttpResult>> (
                PurgeRequest? body, ClaimsPrincipal user, TrashOperations operations,
                [FromHeader(Name = OperationEndpoints.IdempotencyHeader)] string? key, CancellationToken ct) =>
                Accepted(await operations.PurgeAsync(user.Actor(), body?.TrashIds, ct, key)))
            .WithName("PurgeTrash")
            .WithSummary("Queues deleting items for good; without trashIds, empties the caller's trash. Needs Delete on their folders. 202 with the job ids.");
        return api;
    }

    private static Results<Accepted<JobsAccepted>, ProblemHttpResult> Accepted(Result<IReadOnlyList<long>> jobs) =>
        jobs.IsSuccess
            ? TypedResults.Accepted(jobs.Value.Count == 1 ? $"{ApiEndpoints.Prefix}/jobs/{jobs.Value[0]}" : (string?)null, new JobsAccepted(jobs.Value))
            : ApiProblems.From(jobs.Error!);
}
