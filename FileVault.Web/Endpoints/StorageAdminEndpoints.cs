using System.Security.Claims;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FileVault.Web.Endpoints;

public sealed record RegisterRootRequest(string Name, string Path, bool IsReadOnly);

public sealed record StartScanRequest(ScanKind Kind);

public static class StorageAdminEndpoints
{
    public static RouteGroupBuilder MapStorageAdminEndpoints(this RouteGroupBuilder admin)
    {
        var roots = admin.MapGroup("/roots").WithTags("Admin: storage");

        roots.MapGet("", async (ClaimsPrincipal user, StorageRootQueries queries, CancellationToken ct) => (await queries.ListAsync(user.Actor(), ct)).ToOk())
            .WithName("ListRoots").WithSummary("Lists the registered storage roots.");
        roots.MapPost("", async Task<Results<Ok<StorageRootSummary>, ProblemHttpResult>> (
                RegisterRootRequest request, ClaimsPrincipal user, RootOnboarding onboarding, CancellationToken ct) =>
            {
                var registered = await onboarding.RegisterAsync(user.Actor(), request.Name ?? "", request.Path ?? "", request.IsReadOnly, ct);
                return registered.IsSuccess
                    ? TypedResults.Ok(new StorageRootSummary(registered.Value.Id, registered.Value.Name, registered.Value.Path, registered.Value.IsReadOnly))
                    : ApiProblems.From(registered.Error!);
            })
            .WithName("RegisterRoot").WithSummary("Registers a mounted directory as a storage root, writes FileVault's marker into it, checks its mount and queues its first full scan.");
        roots.MapPost("/{id:int}/scans", async Task<Results<Accepted, ProblemHttpResult>> (
                int id, StartScanRequest request, ClaimsPrincipal user, ScanLauncher launcher, CancellationToken ct) =>
            {
                var started = await launcher.StartAsync(user.Actor(), id, request.Kind, ct);
                return started.IsSuccess ? TypedResults.Accepted((string?)null) : ApiProblems.From(started.Error!);
            })
            .WithName("StartScan").WithSummary("Queues a full or incremental scan of a root; progress shows on the storage page.");
        roots.MapPost("/{id:int}/scans/cancel", async (int id, ClaimsPrincipal user, ScanLauncher launcher, CancellationToken ct) =>
                (await launcher.CancelAsync(user.Actor(), id, ct)).ToOk())
            .WithName("CancelScan")
            .WithSummary("Cancels the running scan of a root, on whichever instance runs it; the catalog stays as it was before the scan.");
        return admin;
    }
}
