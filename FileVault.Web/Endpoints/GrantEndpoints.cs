using System.Security.Claims;
using FileVault.Core.Access;

namespace FileVault.Web.Endpoints;

public sealed record UpdateGrantRequest(Permission Permissions, GrantEffect Effect);

public static class GrantEndpoints
{
    public static RouteGroupBuilder MapGrantEndpoints(this RouteGroupBuilder admin)
    {
        var grants = admin.MapGroup("/grants").WithTags("Admin: grants");

        grants.MapGet("", async (int rootId, ClaimsPrincipal user, GrantService service, CancellationToken ct, string path = "") =>
                (await service.ListAsync(user.Actor(), rootId, path, ct)).ToOk())
            .WithName("ListGrants").WithSummary("The grants on one folder (`path` \"\" is the root), not those inherited from above.");
        grants.MapPost("", async (NewGrant grant, ClaimsPrincipal user, GrantService service, CancellationToken ct) =>
                (await service.CreateAsync(user.Actor(), grant, ct)).ToOk())
            .WithName("CreateGrant").WithSummary("Gives (Allow) or takes away (Deny) permissions on a folder to one user or one group.");
        grants.MapDelete("/{id:long}", async (long id, ClaimsPrincipal user, GrantService service, CancellationToken ct) =>
                (await service.DeleteAsync(user.Actor(), id, ct)).ToOk())
            .WithName("DeleteGrant").WithSummary("Removes a grant and returns it as it was.");
        grants.MapPut("/{id:long}", async (long id, UpdateGrantRequest request, ClaimsPrincipal user, GrantService service, CancellationToken ct) =>
                (await service.UpdateAsync(user.Actor(), id, request.Permissions, request.Effect, ct)).ToOk())
            .WithName("UpdateGrant").WithSummary("Changes a grant's permissions and effect (Allow or Deny); folder and principal stay.");
        grants.MapGet("/explain", async (Guid userId, int rootId, ClaimsPrincipal user, GrantService service, CancellationToken ct, string path = "") =>
                (await service.ExplainAsync(user.Actor(), userId, rootId, path, ct)).ToOk())
            .WithName("ExplainAccess")
            .WithSummary("What user `userId` may do on folder `path` of root `rootId`, and for each permission the grant (or role) that decided it.");
        return admin;
    }
}
