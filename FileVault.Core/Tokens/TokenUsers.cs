using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Tokens;

/// <summary>What a token is issued to: the user, their roles, and the security stamp the token is bound to.</summary>
public sealed record TokenUser(Guid UserId, string Email, string SecurityStamp, IReadOnlyList<string> Roles);

public static class TokenUsers
{
    /// <summary>The user as a token sees them, or null when they do not exist or are disabled.</summary>
    public static async Task<TokenUser?> FindEnabledAsync(FileVaultDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && !u.IsDisabled)
            .Select(u => new
            {
                u.Email,
                u.SecurityStamp,
                Roles = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        return user is null ? null : new TokenUser(userId, user.Email ?? "", user.SecurityStamp ?? "", user.Roles);
    }

    /// <summary>
    /// Whether a token bound to <paramref name="securityStamp"/> still speaks for the user: they exist, are enabled,
    /// and their stamp has not moved since (R-AUTH-4: password change, disable and role change renew it).
    /// </summary>
    public static Task<bool> IsCurrentAsync(FileVaultDbContext db, Guid userId, string securityStamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Users.AsNoTracking().AnyAsync(u => u.Id == userId && !u.IsDisabled && u.SecurityStamp == securityStamp, cancellationToken);
    }
}
