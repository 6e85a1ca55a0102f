using System.Collections.Frozen;
using System.Security.Claims;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Access;

/// <summary>The acting user as the access evaluator sees them: an id and the roles they hold.</summary>
public sealed record AccessSubject(Guid UserId, IReadOnlySet<string> RoleNames)
{
    public bool IsSuperAdmin => RoleNames.Contains(Roles.SuperAdmin);

    /// <summary>Admins and SuperAdmins: they read everything and manage users, groups and grants.</summary>
    public bool IsAdministrator => IsSuperAdmin || RoleNames.Contains(Roles.Admin);

    /// <summary>
    /// FileVault acting for its operator, with no user account behind it: command-line verbs and schedules. It holds every
    /// admin right; only code on the server names it, and no request or circuit can become it (their subjects come from
    /// <see cref="FromPrincipal"/>, whose user ids are real accounts).
    /// </summary>
    public static AccessSubject System { get; } = Create(Guid.Empty, [Roles.SuperAdmin]);

    /// <summary>Whether this is <see cref="System"/> rather than a person.</summary>
    public bool IsSystem => UserId == Guid.Empty;

    public static AccessSubject Create(Guid userId, IEnumerable<string> roles) => new(userId, roles.ToFrozenSet(StringComparer.Ordinal));

    /// <summary>
    /// The signed-in user of a request or circuit; null when the principal is anonymous or carries no user id (the empty
    /// id is <see cref="System"/>'s and never a signed-in user's).
    /// </summary>
    public static AccessSubject? FromPrincipal(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)
            || userId == Guid.Empty)
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

/// <summary>Loads the acting user of work that runs without a request (jobs), as they are now.</summary>
public static class AccessSubjects
{
    /// <summary>The user with their current roles, or null when they are disabled or no longer exist.</summary>
    public static async Task<AccessSubject?> FindEnabledAsync(FileVaultDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && !u.IsDisabled)
            .Select(u => new { Roles = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!).ToList() })
            .SingleOrDefaultAsync(cancellationToken);
        return user is null ? null : AccessSubject.Create(userId, user.Roles);
    }
}
