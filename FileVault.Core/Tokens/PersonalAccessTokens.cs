using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Tokens;

public sealed record PersonalAccessTokenView(
    long Id, string Name, TokenScope Scope, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A token just made: <see cref="Secret"/> is shown once and never again.</summary>
public sealed record CreatedPersonalAccessToken(PersonalAccessTokenView Token, string Secret);

/// <summary>Who a presented personal access token speaks for, and how far.</summary>
public sealed record PersonalTokenIdentity(long TokenId, TokenScope Scope, TokenUser User);

/// <summary>
/// Personal access tokens: each user makes, lists and revokes their own; another user's token id answers not found
/// (R-AUTH-1). Creation and revocation are audited. A token dies at its expiry, on revocation, and when the user's
/// security stamp moves (password change, disable, role change).
/// </summary>
/// <remarks>Codes: <c>pat.not_found</c>, <c>pat.name_invalid</c>, <c>pat.expiry_invalid</c>, <c>pat.limit</c>.</remarks>
public sealed class PersonalAccessTokens(
    IDbContextFactory<FileVaultDbContext> dbFactory,
    IOptions<ApiTokenOptions> options,
    PersonalTokenAnswers answers,
    AccessVersion accessVersion,
    TimeProvider time,
    ILogger<PersonalAccessTokens> logger)
{
    public const int MaxActivePerUser = 50;

    // Last-used is a hint for the owner, not an audit: written at most this often per token.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<PersonalAccessTokenView>> ListAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.PersonalAccessTokens.AsNoTracking()
            .Where(t => t.UserId == actor.UserId)
            .OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .Select(t => new PersonalAccessTokenView(t.Id, t.Name, t.Scope, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<Result<CreatedPersonalAccessToken>> CreateAsync(
        AccessSubject actor, string name, TokenScope scope, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        name = (name ?? "").Trim();
        if (name.Length is 0 or > PersonalAccessToken.MaxNameLength)
        {
            return new Error("pat.name_invalid", $"A token name has 1 to {PersonalAccessToken.MaxNameLength} characters.");
        }

        if (!Enum.IsDefined(scope))
        {
            return new Error("pat.scope_invalid", "The scope is read or read-write.");
        }

        var now = time.GetUtcNow();
        if (expiresAt <= now || expiresAt > now + options.Value.MaxPersonalTokenLifetime)
        {
            return new Error("pat.expiry_invalid", $"The expiry lies after now and at most {options.Value.MaxPersonalTokenLifetime.TotalDays:0} days ahead.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stamp = await db.Users.Where(u => u.Id == actor.UserId && !u.IsDisabled).Select(u => u.SecurityStamp).SingleOrDefaultAsync(cancellationToken);
        if (stamp is null)
        {
            return AccessErrors.UserNotFound(actor.UserId);
        }

        if (await db.PersonalAccessTokens.CountAsync(t => t.UserId == actor.UserId && t.RevokedAt == null && t.ExpiresAt > now, cancellationToken)
            >= MaxActivePerUser)
        {
            return new Error("pat.limit", $"At most {MaxActivePerUser} active tokens; revoke one first.");
        }

        var secret = TokenSecrets.Create(TokenSecrets.PersonalPrefix);
        var row = new PersonalAccessToken
        {
            UserId = actor.UserId,
            Name = name,
            TokenHash = TokenSecrets.Hash(secret),
            Scope = scope,
            SecurityStamp = stamp,
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.PersonalAccessTokens.Add(row);
            await db.SaveChangesAsync(ct);
            AuditTrail.Add(db, time, actor.UserId, "pat.create", $"pat:{row.Id}", new { Name = name, Scope = scope.ToString(), ExpiresAt = expiresAt });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }, cancellationToken);
        logger.LogInformation("User {UserId} created personal access token {TokenId} ({Scope})", actor.UserId, row.Id, scope);
        return new CreatedPersonalAccessToken(View(row), secret);
    }

    /// <summary>Revokes one of the actor's own tokens; anyone else's id is not found.</summary>
    public async Task<Result<PersonalAccessTokenView>> RevokeAsync(AccessSubject actor, long tokenId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var found = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (!await db.PersonalAccessTokens.AnyAsync(t => t.Id == tokenId && t.UserId == actor.UserId, ct))
            {
                return false;
            }

            await db.PersonalAccessTokens.Where(t => t.Id == tokenId && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            AuditTrail.Add(db, time, actor.UserId, "pat.revoke", $"pat:{tokenId}");
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
        if (!found)
        {
            return new Error("pat.not_found", $"No token {tokenId}.");
        }

        // Committed: the answers kept for it (PersonalTokenAnswers), here and on the other instances, go now.
        await accessVersion.BumpAsync();
        logger.LogInformation("User {UserId} revoked personal access token {TokenId}", actor.UserId, tokenId);
        var row = await db.PersonalAccessTokens.AsNoTracking().SingleAsync(t => t.Id == tokenId, cancellationToken);
        return View(row);
    }

    /// <summary>The identity behind a presented secret, or null when it is unknown, revoked, expired or its user changed.</summary>
    public async Task<PersonalTokenIdentity?> AuthenticateAsync(string secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (!secret.StartsWith(TokenSecrets.PersonalPrefix, StringComparison.Ordinal) || secret.Length > 100)
        {
            return null;
        }

        var hash = TokenSecrets.Hash(secret);
        var now = time.GetUtcNow();
        if (answers.Find(hash, now) is { } known)
        {
            return known;
        }

        var readAt = answers.Now();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // The token with its enabled user and their roles in one round trip: every API request of a script asks this.
        var found = await db.PersonalAccessTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.RevokedAt == null && t.ExpiresAt > now)
            .Join(db.Users.AsNoTracking().Where(u => !u.IsDisabled), t => t.UserId, u => u.Id, (t, u) => new
            {
                Token = t,
                u.Email,
                u.SecurityStamp,
                Roles = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null || (found.SecurityStamp ?? "") != found.Token.SecurityStamp)
        {
            return null;
        }

        var row = found.Token;
        var user = new TokenUser(row.UserId, found.Email ?? "", found.SecurityStamp ?? "", found.Roles);

        if (row.LastUsedAt is null || now - row.LastUsedAt > LastUsedResolution)
        {
            await db.PersonalAccessTokens.Where(t => t.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        }

        var identity = new PersonalTokenIdentity(row.Id, row.Scope, user);
        answers.Remember(hash, identity, row.ExpiresAt, readAt);
        return identity;
    }

    private static PersonalAccessTokenView View(PersonalAccessToken t) =>
        new(t.Id, t.Name, t.Scope, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt);
}
