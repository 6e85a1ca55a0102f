using System.Collections.Frozen;
using System.Security.Claims;

namespace FileVault.Core.Access;

/// <summary>The acting user as the access evaluator sees them: an id and the roles they hold.</summary>
public sealed record AccessSubject(Guid UserId, IReadOnlySet<string> RoleNames)
{
    public bool IsSuperAdmin => RoleNames.Contains(Roles.SuperAdmin);

    /// <summary>Admins and SuperAdmins: they read everything and manage users, groups and grants.</summary>
    public bool IsAdministrator => IsSuperAdmin || RoleNames.Contains(Roles.Admin);

    public static AccessSubject Create(Guid userId, IEnumerable<string> roles) => new(userId, roles.ToFrozenSet(StringComparer.Ordinal));

    /// <summary>The signed-in user of a request or circuit; null when the principal is anonymous or carries no user id.</summary>
    public static AccessSubject? FromPrincipal(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            return null;
        }

        return Create(userId, principal.FindAll(ClaimTypes.Role).Select(c => c.Value));
    }

    public static AccessSubject FromUser(FileVaultUser user, IEnumerable<string> roles)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Create(user.Id, roles);
    }
}
