using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FileVault.Core.Access;

/// <summary>A grant to create: exactly one of <see cref="UserId"/> and <see cref="GroupId"/>.</summary>
public sealed record NewGrant(int RootId, string RelativePath, Guid? UserId, int? GroupId, Permission Permissions, GrantEffect Effect);

/// <summary>
/// Reads and edits folder grants. Admins may edit any grant; anyone else needs Manage on the folder. Every change is
/// audited in the same transaction and announced through <see cref="AccessVersion"/> so cached answers are dropped.
/// </summary>
/// <remarks>
/// Codes: <c>auth.forbidden</c>, <c>grant.folder_not_found</c>, <c>grant.not_found</c>, <c>grant.permissions_invalid</c>,
/// <c>grant.principal_invalid</c>, <c>grant.principal_not_found</c>, <c>grant.duplicate</c>, <c>user.not_found</c>, and
/// the path guard's <c>path.*</c> spelling codes.
/// </remarks>
public sealed class GrantService(
    IDbContextFactory<FileVaultDbContext> dbFactory,
    AccessEvaluator evaluator,
    AccessVersion version,
    TimeProvider time,
    ILogger<GrantService> logger)
{
    /// <summary>The grants on one folder (not those inherited from above), users and groups by name.</summary>
    public async Task<Result<IReadOnlyList<GrantView>>> ListAsync(AccessSubject actor, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (PathGuard.Parse(relativePath).Error is { } spelling)
        {
            return spelling;
        }

        if (!await evaluator.CanManageAsync(actor, rootId, relativePath, cancellationToken))
        {
            return AccessErrors.Forbidden("listing the grants of this folder");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var grants = await db.GrantViews(db.FolderGrants.Where(g => g.RootId == rootId && g.RelativePath == relativePath))
            .ToListAsync(cancellationToken);
        return grants.OrderBy(g => g.Principal.IsGroup).ThenBy(g => g.Principal.Name, StringComparer.CurrentCultureIgnoreCase)
            .ThenBy(g => g.Effect).ToList();
    }

    /// <summary>
    /// Folders of a root whose path contains <paramref name="text"/> (case-insensitive), for pickers: all of them for
    /// admins, the readable ones (by the SQL filter) for anyone else.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindFoldersAsync(
        AccessSubject actor, int rootId, string? text, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var folders = db.Entries.AsNoTracking()
            .Where(e => e.RootId == rootId && e.Kind == EntryKind.Directory && e.State == EntryState.Active && e.NameIsValid);
        if (!string.IsNullOrWhiteSpace(text))
        {
            var pattern = LikePatterns.Containing(text.Trim());
            folders = folders.Where(e => EF.Functions.ILike(e.RelativePath, pattern, LikePatterns.Escape));
        }

        return await folders.WhereReadable(db, actor)
            .OrderBy(e => e.RelativePath.Length).ThenBy(e => e.RelativePath)
            .Select(e => e.RelativePath)
            .Take(Math.Clamp(limit, 1, 200))
            .ToListAsync(cancellationToken);
    }

    public async Task<Result<GrantView>> CreateAsync(AccessSubject actor, NewGrant grant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(grant);
        if (CheckPermissions(grant.Permissions) is { } invalid)
        {
            return invalid;
        }

        if ((grant.UserId is null) == (grant.GroupId is null))
        {
            return new Error("grant.principal_invalid", "A grant goes to exactly one user or one group.");
        }

        var folder = await FindFolderAsync(actor, grant.RootId, grant.RelativePath, cancellationToken);
        if (!folder.IsSuccess)
        {
            return folder.Error!;
        }

        var row = new FolderGrant
        {
            RootId = grant.RootId,
            RelativePath = folder.Value,
            UserId = grant.UserId,
            GroupId = grant.GroupId,
            Permissions = grant.Permissions,
            Effect = grant.Effect,
            CreatedById = actor.UserId,
            CreatedAt = time.GetUtcNow(),
        };
        var saved = await SaveAsync(actor, "grant.create", row, db =>
        {
            db.FolderGrants.Add(row);
            return Task.FromResult(true);
        }, cancellationToken);
        if (saved.Error is { } error)
        {
            return error;
        }

        logger.LogInformation("User {Actor} granted {Effect} {Permissions} on {RootId}:{Path} to {Principal}",
            actor.UserId, row.Effect, row.Permissions, row.RootId, row.RelativePath, (object?)row.UserId ?? row.GroupId);
        return await ViewAsync(row.Id, cancellationToken);
    }

    public async Task<Result<GrantView>> UpdateAsync(
        AccessSubject actor, long grantId, Permission permissions, GrantEffect effect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (CheckPermissions(permissions) is { } invalid)
        {
            return invalid;
        }

        var existing = await FindManagedGrantAsync(actor, grantId, cancellationToken);
        if (!existing.IsSuccess)
        {
            return existing.Error!;
        }

        var row = existing.Value;
        var saved = await SaveAsync(actor, "grant.update", row, async db =>
        {
            var updated = await db.FolderGrants.Where(g => g.Id == grantId)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.Permissions, permissions).SetProperty(g => g.Effect, effect), cancellationToken);
            row.Permissions = permissions;
            row.Effect = effect;
            return updated == 1;
        }, cancellationToken);
        return saved.Error is { } error ? error : await ViewAsync(grantId, cancellationToken);
    }

    /// <summary>Removes a grant and returns it as it was.</summary>
    public async Task<Result<GrantView>> DeleteAsync(AccessSubject actor, long grantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var existing = await FindManagedGrantAsync(actor, grantId, cancellationToken);
        if (!existing.IsSuccess)
        {
            return existing.Error!;
        }

        var before = await ViewAsync(grantId, cancellationToken);
        if (!before.IsSuccess)
        {
            return before;
        }

        var saved = await SaveAsync(actor, "grant.delete", existing.Value, async db =>
            await db.FolderGrants.Where(g => g.Id == grantId).ExecuteDeleteAsync(cancellationToken) == 1, cancellationToken);
        return saved.Error is { } error ? error : before;
    }

    /// <summary>
    /// What <paramref name="userId"/> may do on a folder and which grant decided each permission. For admins and for
    /// users who manage the folder.
    /// </summary>
    public async Task<Result<AccessExplanation>> ExplainAsync(
        AccessSubject actor, Guid userId, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (PathGuard.Parse(relativePath).Error is { } spelling)
        {
            return spelling;
        }

        if (!await evaluator.CanManageAsync(actor, rootId, relativePath, cancellationToken))
        {
            return AccessErrors.Forbidden("explaining permissions on this folder");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
        {
            return AccessErrors.UserNotFound(userId);
        }

        var roles = await db.UserRoles.Where(ur => ur.UserId == userId)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!)
            .ToListAsync(cancellationToken);
        return await evaluator.ExplainAsync(AccessSubject.Create(userId, roles), rootId, relativePath, cancellationToken);
    }

    private static Error? CheckPermissions(Permission permissions) =>
        permissions == Permission.None || (permissions & ~Permission.All) != 0
            ? new Error("grant.permissions_invalid", $"A grant names one or more of Read, Write, Delete, Manage, not {(int)permissions}.")
            : null;

    /// <summary>
    /// The folder's catalog spelling, after the path guard's spelling checks and the actor's Manage check. The catalog
    /// keeps names as found on disk, so the path is looked up as given and then in NFC.
    /// </summary>
    private async Task<Result<string>> FindFolderAsync(AccessSubject actor, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        var parsed = PathGuard.Parse(relativePath);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }

        if (!await evaluator.CanManageAsync(actor, rootId, relativePath, cancellationToken))
        {
            return AccessErrors.Forbidden("editing the grants of this folder");
        }

        var nfc = parsed.Value.ToString();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.Entries
            .Where(e => e.RootId == rootId && (e.RelativePath == relativePath || e.RelativePath == nfc)
                && e.Kind == EntryKind.Directory && e.State == EntryState.Active)
            .Select(e => e.RelativePath)
            .ToListAsync(cancellationToken);
        if (found.Count == 0)
        {
            return new Error("grant.folder_not_found", $"No folder {relativePath} in root {rootId}.");
        }

        return found.Contains(relativePath, StringComparer.Ordinal) ? relativePath : found[0];
    }

    /// <summary>The grant, if the actor may manage its folder; otherwise not found, as if it did not exist (R-AUTH-1).</summary>
    private async Task<Result<FolderGrant>> FindManagedGrantAsync(AccessSubject actor, long grantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var grant = await db.FolderGrants.AsNoTracking().SingleOrDefaultAsync(g => g.Id == grantId, cancellationToken);
        if (grant is null || !await evaluator.CanManageAsync(actor, grant.RootId, grant.RelativePath, cancellationToken))
        {
            return new Error("grant.not_found", $"No grant {grantId}.");
        }

        return grant;
    }

    /// <summary>Applies a change and its audit row in one transaction, then announces it.</summary>
    private async Task<Result<bool>> SaveAsync(
        AccessSubject actor, string action, FolderGrant grant, Func<FileVaultDbContext, Task<bool>> change, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var applied = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (!await change(db))
                {
                    return false;
                }

                await db.SaveChangesAsync(ct);
                AuditTrail.Add(db, time, actor.UserId, action, $"grant:{grant.Id}", new
                {
                    grant.RootId,
                    grant.RelativePath,
                    grant.UserId,
                    grant.GroupId,
                    Permissions = grant.Permissions.ToString(),
                    Effect = grant.Effect.ToString(),
                });
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                return true;
            }, cancellationToken);
            if (!applied)
            {
                return new Error("grant.not_found", $"Grant {grant.Id} was removed meanwhile.");
            }
        }
        catch (Exception ex) when (AsPostgres(ex) is { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return new Error("grant.duplicate", "This user or group already has a grant of that kind on this folder; change that one.");
        }
        catch (Exception ex) when (AsPostgres(ex) is { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            return new Error("grant.principal_not_found", "The user, group or root of the grant does not exist.");
        }

        await version.BumpAsync();
        return true;
    }

    private async Task<Result<GrantView>> ViewAsync(long grantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var view = await db.GrantViews(db.FolderGrants.Where(g => g.Id == grantId)).SingleOrDefaultAsync(cancellationToken);
        return view is null ? new Error("grant.not_found", $"No grant {grantId}.") : view;
    }

    // SaveChanges wraps the server's error in a DbUpdateException; ExecuteUpdate and ExecuteDelete throw it as it is.
    private static PostgresException? AsPostgres(Exception ex) => ex as PostgresException ?? ex.InnerException as PostgresException;
}

internal static class GrantViewQueries
{
    /// <summary>Grants as <see cref="GrantView"/>s, the principal named by e-mail or group name, in SQL.</summary>
    public static IQueryable<GrantView> GrantViews(this FileVaultDbContext db, IQueryable<FolderGrant> grants) =>
        grants.Select(g => new GrantView(
            g.Id,
            g.RootId,
            g.RelativePath,
            new GrantPrincipal(
                g.UserId,
                g.GroupId,
                g.UserId != null
                    ? db.Users.Where(u => u.Id == g.UserId).Select(u => u.Email).FirstOrDefault() ?? ""
                    : db.Groups.Where(x => x.Id == g.GroupId).Select(x => x.Name).FirstOrDefault() ?? ""),
            g.Permissions,
            g.Effect,
            g.CreatedAt));
}
