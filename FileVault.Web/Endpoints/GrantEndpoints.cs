using System.Security.Claims;
using FileVault.Core.Access;

namespace FileVault.Web.Endpoints;

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
        return admin;
    }
}
