using System.Security.Claims;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

/// <summary>/api/v1/jobs: the caller's jobs (an admin's: anyone's), as the Jobs page shows them; another user's job is not found.</summary>
public static class JobEndpoints
{
    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").RequireAuthorization(Policies.Files).WithTags("Jobs");

        jobs.MapGet("", async (ClaimsPrincipal user, JobQueries queries, CancellationToken ct, bool all = false, int limit = 50) =>
                TypedResults.Ok(await queries.ListAsync(user.Actor(), all, limit, ct)))
            .WithName("ListJobs")
            .WithSummary($"The caller's jobs, newest first (at most {JobQueries.MaxList}); admins pass all=true for everyone's.");

        jobs.MapGet("/{id:long}", async (long id, ClaimsPrincipal user, JobQueries queries, CancellationToken ct) =>
                (await queries.GetAsync(user.Actor(), id, ct)).ToOk())
            .WithName("GetJob")
            .WithSummary("One job: type, status, progress, error and summary; another user's job is not found.");

        jobs.MapPost("/{id:long}/cancel", async (long id, ClaimsPrincipal user, JobQueries queries, CancellationToken ct) =>
                (await queries.CancelAsync(user.Actor(), id, ct)).ToOk())
            .WithName("CancelJob")
            .WithSummary("Cancels a queued job, or asks a running one to stop at its next safe point; a finished job answers 409 job.finished.");

        jobs.MapPost("/{id:long}/retry", async (long id, ClaimsPrincipal user, JobQueries queries, CancellationToken ct) =>
                (await queries.RetryAsync(user.Actor(), id, ct)).ToOk())
            .WithName("RetryJob")
            .WithSummary("Queues a failed or interrupted job again; it resumes where it stopped. Other jobs answer 409 job.not_retryable.");
        return api;
    }
}
