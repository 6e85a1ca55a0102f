using System.Security.Claims;
using FileVault.Core.Duplicates;
using FileVault.Core.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

public sealed record ResolveDuplicatesRequest(long KeepEntryId);

public static class DuplicateEndpoints
{
    public static RouteGroupBuilder MapDuplicateEndpoints(this RouteGroupBuilder admin)
    {
        var duplicates = admin.MapGroup("/duplicates").WithTags("Admin: duplicates");

        duplicates.MapPost("/scans", async Task<Results<Accepted<long>, ProblemHttpResult>> (ClaimsPrincipal user, DuplicateScans scans, CancellationToken ct) =>
            {
                var queued = await scans.RequestAsync(user.Actor(), ct);
                return queued.IsSuccess ? TypedResults.Accepted($"/api/v1/jobs/{queued.Value}", queued.Value) : ApiProblems.From(queued.Error!);
            })
            .WithName("StartDuplicateSearch").WithSummary("Queues a search for files with the same content over every root; answers with its job id (the running one, if one runs).");
        duplicates.MapGet("/scans/last", async (ClaimsPrincipal user, DuplicateScans scans, CancellationToken ct) => (await scans.LastAsync(user.Actor(), ct)).ToOk())
            .WithName("LastDuplicateSearch").WithSummary("The newest duplicate search: its job state and summary.");
        duplicates.MapGet("", async (
                ClaimsPrincipal user, DuplicateReport report, int? rootId, string? folder, FileType? type, int? skip, int? take, CancellationToken ct) =>
                (await report.PageAsync(user.Actor(), new DuplicateFilter(rootId, folder, type, skip ?? 0, take ?? 25), ct)).ToOk())
            .WithName("ListDuplicates").WithSummary("Groups of files with the same content, most reclaimable bytes first, filtered by root, folder and type.");
        duplicates.MapPost("/resolve", async (
                ResolveDuplicatesRequest request, ClaimsPrincipal user, DuplicateReport report, HttpRequest http, CancellationToken ct) =>
                (await report.ResolveAsync(user.Actor(), request.KeepEntryId, http.Headers["Idempotency-Key"].FirstOrDefault(), ct)).ToOk())
            .WithName("ResolveDuplicates").WithSummary("Keeps one file of its group and moves the other copies to the trash (delete jobs; restorable).");
        return admin;
    }
}
