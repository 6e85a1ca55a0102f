using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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

        trash.MapPost("/restore", async Task<Results<Accepted<JobsAccepted>, ProblemHttpResult>> (
                RestoreRequest body, ClaimsPrincipal user, FileOperations operations,
                [FromHeader(Name = OperationEndpoints.IdempotencyHeader)] string? key, CancellationToken ct) =>
                OperationEndpoints.ParseConflict(body.Conflict) is { } conflict
                    ? Accepted(await operations.RestoreAsync(user.Actor(), body.TrashIds ?? [], conflict, key, ct))
                    : OperationEndpoints.ConflictInvalid())
            .WithName("RestoreTrash")
            .WithSummary("Queues putting items back where they were (missing folders are re-created); needs Write there. 202 with the job ids.");

        trash.MapPost("/purge", async Task<Results<Accepted<JobsAccepted>, ProblemHttpResult>> (
                PurgeRequest? body, ClaimsPrincipal user, FileOperations operations,
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
