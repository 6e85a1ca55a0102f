using Coravel.Invocable;
using FileVault.Core.Cleanup;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Tokens;

public sealed record IssuedRefreshToken(string Token, Guid FamilyId, DateTimeOffset ExpiresAt);

public sealed record RotatedRefreshToken(TokenUser User, IssuedRefreshToken Next);

/// <summary>
/// Refresh tokens for the API: opaque, stored as SHA-256, rotated on every use. A consumed token presented again
/// revokes its whole family, so a thief and the rightful client cannot both keep going (R-AUTH-4).
/// </summary>
/// <remarks>Codes: <c>token.invalid</c> (unknown, expired, revoked, reused, or the user changed).</remarks>
public sealed class RefreshTokens(
    IDbContextFactory<FileVaultDbContext> dbFactory,
    IOptions<ApiTokenOptions> options,
    TimeProvider time,
    ILogger<RefreshTokens> logger)
{
    private static Error Invalid() => new("token.invalid", "The refresh token is not valid.");

    /// <summary>Starts a new family after a password sign-in.</summary>
    public async Task<IssuedRefreshToken> IssueAsync(TokenUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var issued = Add(db, user, Guid.NewGuid());
        AuditTrail.Add(db, time, user.UserId, "token.issue", $"user:{user.UserId}", new { issued.FamilyId });
        await db.SaveChangesAsync(cancellationToken);
        return issued;
    }

    /// <summary>Consumes <paramref name="token"/> and returns its successor in the same family.</summary>
    public async Task<Result<RotatedRefreshToken>> RotateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.StartsWith(TokenSecrets.RefreshPrefix, StringComparison.Ordinal) || token.Length > 100)
        {
            return Invalid();
        }

        var hash = TokenSecrets.Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var row = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, ct);
            if (row is null)
            {
                return Invalid();
            }

            if (row.RevokedAt is not null || (row.ConsumedAt is null && row.ExpiresAt <= now))
            {
                return Invalid();
            }

            // Consume it only if nobody has: of two concurrent uses one wins, and the other is treated as a reuse.
            var consumed = await db.RefreshTokens.Where(t => t.Id == row.Id && t.ConsumedAt == null && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.ConsumedAt, now), ct) == 1;
            if (!consumed)
            {
                await RevokeFamilyAsync(db, row, "token.reuse", now, ct);
                await transaction.CommitAsync(ct);
                return Invalid();
            }

            var user = await TokenUsers.FindEnabledAsync(db, row.UserId, ct);
            if (user is null || user.SecurityStamp != row.SecurityStamp)
            {
                await RevokeFamilyAsync(db, row, "token.user_changed", now, ct);
                await transaction.CommitAsync(ct);
                return Invalid();
            }

            var next = Add(db, user, row.FamilyId);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return Result<RotatedRefreshToken>.Success(new RotatedRefreshToken(user, next));
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes refresh tokens that can never be used again: expired or revoked. A consumed token that has not expired
    /// stays, because presenting it again is how a stolen token is noticed and its family revoked.
    /// </summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var purged = await db.RefreshTokens.Where(t => t.ExpiresAt <= now || t.RevokedAt != null).ExecuteDeleteAsync(cancellationToken);
        logger.LogInformation("Purged {Count} expired or revoked refresh tokens", purged);
        return purged;
    }

    private IssuedRefreshToken Add(FileVaultDbContext db, TokenUser user, Guid familyId)
    {
        var secret = TokenSecrets.Create(TokenSecrets.RefreshPrefix);
        var now = time.GetUtcNow();
        var row = new RefreshToken
        {
            UserId = user.UserId,
            FamilyId = familyId,
            TokenHash = TokenSecrets.Hash(secret),
            SecurityStamp = user.SecurityStamp,
            CreatedAt = now,
            ExpiresAt = now + options.Value.RefreshTokenLifetime,
        };
        db.RefreshTokens.Add(row);
        return new IssuedRefreshToken(secret, familyId, row.ExpiresAt);
    }

    private async Task RevokeFamilyAsync(FileVaultDbContext db, RefreshToken row, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var revoked = await db.RefreshTokens.Where(t => t.FamilyId == row.FamilyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        AuditTrail.Add(db, time, row.UserId, "token.revoke_family", $"user:{row.UserId}", new { row.FamilyId, Reason = reason, Revoked = revoked });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Revoked refresh token family {FamilyId} of user {UserId}: {Reason}", row.FamilyId, row.UserId, reason);
    }
}

/// <summary>
/// The daily purge of expired and revoked refresh tokens, a cleanup sweep recorded with what it removed. (Sign-in
/// cookies and circuits are not stored: they end with the security stamp, so there is no session table to sweep.)
/// </summary>
public sealed class RefreshTokenPurgeSchedule(RefreshTokens tokens, CleanupRuns runs) : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "refresh-tokens";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken) => new(await tokens.PurgeAsync(cancellationToken));
}
