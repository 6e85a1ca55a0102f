using System.Security.Claims;
using FileVault.Core.Access;

namespace FileVault.Web.Endpoints;

public sealed record NewGroupRequest(string Name);

public sealed record RenameGroupRequest(string Name);

public static class GroupAdminEndpoints
{
    public static RouteGroupBuilder MapGroupAdminEndpoints(this RouteGroupBuilder admin)
    {
        var groups = admin.MapGroup("/groups").WithTags("Admin: groups");

        groups.MapGet("", async (ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.ListAsync(user.Actor(), ct)).ToOk())
            .WithName("ListGroups").WithSummary("Lists groups with their member counts.");
        groups.MapPost("", async (NewGroupRequest request, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.CreateAsync(user.Actor(), request.Name ?? "", ct)).ToOk())
            .WithName("CreateGroup").WithSummary("Creates a group.");
        groups.MapPut("/{id:int}", async (int id, RenameGroupRequest request, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.RenameAsync(user.Actor(), id, request.Name ?? "", ct)).ToOk())
            .WithName("RenameGroup").WithSummary("Renames a group; its members and grants stay.");
        groups.MapDelete("/{id:int}", async (int id, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.DeleteAsync(user.Actor(), id, ct)).ToOk())
            .WithName("DeleteGroup").WithSummary("Deletes a group with its memberships and its grants; returns the group as it was.");
        groups.MapGet("/{id:int}/members", async (int id, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.ListMembersAsync(user.Actor(), id, ct)).ToOk())
            .WithName("ListGroupMembers").WithSummary("Lists a group's members.");
        groups.MapPut("/{id:int}/members/{userId:guid}", async (int id, Guid userId, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.AddMemberAsync(user.Actor(), id, userId, ct)).ToOk())
            .WithName("AddGroupMember").WithSummary("Adds a user to a group (no change when already a member).");
        groups.MapDelete("/{id:int}/members/{userId:guid}", async (int id, Guid userId, ClaimsPrincipal user, GroupAdministration admin, CancellationToken ct) =>
                (await admin.RemoveMemberAsync(user.Actor(), id, userId, ct)).ToOk())
            .WithName("RemoveGroupMember").WithSummary("Removes a user from a group.");
        return admin;
    }
}
