using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Tokens;

/// <summary>
/// Ends every session of a user at once when they sign out (R-AUTH-4): sign-in cookies on every device, open circuits,
/// API access tokens and refresh tokens. Personal access tokens survive: they are credentials the user manages in the
/// profile, and die only when the password changes, the user is disabled or their roles change.
/// </summary>
/// <remarks>
/// Every session is bound to the user's security stamp: cookies and circuits are re-checked against it within a minute
/// (Identity's security-stamp validator, the revalidating authentication state provider), access tokens on every call.
/// Renewing the stamp ends them all. Personal access tokens are bound to the same stamp, so the ones that were alive
/// under the old stamp are moved to the new one in the same transaction; a token already dead (a stamp from before a
/// password change) stays dead.
/// </remarks>
public sealed class UserSessions(IDbContextFactory<FileVaultDbContext> dbFactory, AccessVersion accessVersion, TimeProvider time, ILogger<UserSessions> logger)
{
    /// <summary>Ends all of <paramref name="userId"/>'s sessions; <paramref name="reason"/> goes to the audit log.</summary>
    public async Task EndAllAsync(Guid userId, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var refreshTokensRevoked = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var oldStamp = await db.Users.Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleOrDefaultAsync(ct);
            if (oldStamp is null)
            {
                return 0;
            }

            var newStamp = Guid.NewGuid().ToString("N").ToUpperInvariant();
            // The concurrency stamp moves too, as UserManager would move it: an admin's edit loaded before this fails
            // instead of writing the old security stamp back.
            var concurrencyStamp = Guid.NewGuid().ToString();
            var renewed = await db.Users.Where(u => u.Id == userId && u.SecurityStamp == oldStamp)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.SecurityStamp, newStamp).SetProperty(u => u.ConcurrencyStamp, concurrencyStamp), ct);
            if (renewed == 0)
            {
                // The stamp moved under us (a password change in the same instant); that has ended the sessions already.
                return 0;
            }

            await db.PersonalAccessTokens.Where(t => t.UserId == userId && t.SecurityStamp == oldStamp && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.SecurityStamp, newStamp), ct);
            var revoked = await db.RefreshTokens.Where(t => t.UserId == userId && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            AuditTrail.Add(db, time, userId, "session.end_all", $"user:{userId}", new { Reason = reason, RefreshTokensRevoked = revoked });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return revoked;
        }, cancellationToken);
        // The stamp moved by ExecuteUpdate, which no interceptor sees: answers cached under the old one go now.
        await accessVersion.BumpAsync();
        logger.LogInformation("Ended every session of user {UserId} ({Reason}); {Count} refresh tokens revoked", userId, reason, refreshTokensRevoked);
    }
}
