using System.Security.Claims;
using FileVault.Core.Access;

namespace FileVault.Core.Devices;

/// <summary>Who is acting at the desk, and what their roles allow: desk staff and admins run the desk, everyone else sees only their own rentals.</summary>
public sealed record DeskActor(Guid UserId, string Name, bool RunsDesk, bool ManagesDevices)
{
    public static DeskActor From(ClaimsPrincipal user)
    {
        var id = Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var parsed) ? parsed : Guid.Empty;
        return new DeskActor(
            id,
            user.Identity?.Name ?? "unknown",
            Policies.DeskRoles.Any(user.IsInRole),
            Policies.AdminRoles.Any(user.IsInRole));
    }
}
