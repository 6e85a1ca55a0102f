using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FileVault.Core.Access;

public sealed record GroupSummary(int Id, string Name, int MemberCount);

public sealed record GroupMemberView(Guid UserId, string Email, string DisplayName);

/// <summary>
/// Groups and their members, for Admins and SuperAdmins. Membership changes and deletions change what people may
/// read, so each is audited and announced through <see cref="AccessVersion"/>. Deleting a group deletes its grants.
/// </summary>
/// <remarks>Codes: <c>auth.forbidden</c>, <c>group.not_found</c>, <c>group.name_invalid</c>, <c>group.name_taken</c>,
/// <c>user.not_found</c>.</remarks>
public sealed class GroupAdministration(
    IDbContextFactory<FileVaultDbContext> dbFactory,
    AccessVersion version,
    TimeProvider time,
    ILogger<GroupAdministration> logger)
{
    public async Task<Result<IReadOnlyList<GroupSummary>>> ListAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("listing groups");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Groups.AsNoTracking()
            .OrderBy(g => g.Name)
            .Select(g => new GroupSummary(g.Id, g.Name, db.GroupMembers.Count(m => m.GroupId == g.Id)))
            .ToListAsync(cancellationToken);
    }

    public async Task<Result<IReadOnlyList<GroupMemberView>>> ListMembersAsync(AccessSubject actor, int groupId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("listing group members");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.Groups.AnyAsync(g => g.Id == groupId, cancellationToken))
        {
            return AccessErrors.GroupNotFound(groupId);
        }

        return await db.GroupMembers.Where(m => m.GroupId == groupId)
            .Join(db.Users, m => m.UserId, u => u.Id, (_, u) => u)
            // Ordered before the projection: EF cannot translate an order over a constructed record's property.
            .OrderBy(u => u.Email)
            .Select(u => new GroupMemberView(u.Id, u.Email ?? "", u.DisplayName))
            .ToListAsync(cancellationToken);
    }

    public async Task<Result<GroupSummary>> CreateAsync(AccessSubject actor, string name, CancellationToken cancellationToken)
    {
        if (Check(actor, ref name) is { } error)
        {
            return error;
        }

        var group = new Group { Name = name, CreatedAt = time.GetUtcNow() };
        return await SaveAsync(actor, "group.create", () => group.Id, db =>
        {
            db.Groups.Add(group);
            return Task.FromResult<Error?>(null);
        }, new { Name = name }, cancellationToken);
    }

    public async Task<Result<GroupSummary>> RenameAsync(AccessSubject actor, int groupId, string name, CancellationToken cancellationToken)
    {
        if (Check(actor, ref name) is { } error)
        {
            return error;
        }

        return await SaveAsync(actor, "group.rename", () => groupId, async db =>
            await db.Groups.Where(g => g.Id == groupId).ExecuteUpdateAsync(s => s.SetProperty(g => g.Name, name), cancellationToken) == 1
                ? null
                : AccessErrors.GroupNotFound(groupId),
            new { Name = name }, cancellationToken);
    }

    /// <summary>Deletes the group, its memberships and its grants; returns the group as it was.</summary>
    public async Task<Result<GroupSummary>> DeleteAsync(AccessSubject actor, int groupId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("deleting groups");
        }

        GroupSummary? before = null;
        var deleted = await SaveAsync(actor, "group.delete", () => groupId, async db =>
        {
            before = await db.Groups.Where(g => g.Id == groupId)
                .Select(g => new GroupSummary(g.Id, g.Name, db.GroupMembers.Count(m => m.GroupId == g.Id)))
                .SingleOrDefaultAsync(cancellationToken);
            return before is null || await db.Groups.Where(g => g.Id == groupId).ExecuteDeleteAsync(cancellationToken) == 0
                ? AccessErrors.GroupNotFound(groupId)
                : null;
        }, null, cancellationToken, summarize: false);
        return deleted.IsSuccess ? before! : deleted.Error!;
    }

    public Task<Result<GroupSummary>> AddMemberAsync(AccessSubject actor, int groupId, Guid userId, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(actor, groupId, userId, "group.add_member", async db =>
        {
            if (!await db.Users.AnyAsync(u => u.Id == userId, cancellationToken))
            {
                return AccessErrors.UserNotFound(userId);
            }

            if (!await db.GroupMembers.AnyAsync(m => m.GroupId == groupId && m.UserId == userId, cancellationToken))
            {
                db.GroupMembers.Add(new GroupMember { GroupId = groupId, UserId = userId, AddedAt = time.GetUtcNow() });
            }

            return null;
        }, cancellationToken);

    public Task<Result<GroupSummary>> RemoveMemberAsync(AccessSubject actor, int groupId, Guid userId, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(actor, groupId, userId, "group.remove_member", async db =>
        {
            await db.GroupMembers.Where(m => m.GroupId == groupId && m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            return null;
        }, cancellationToken);

    private async Task<Result<GroupSummary>> ChangeMembershipAsync(
        AccessSubject actor, int groupId, Guid userId, string action, Func<FileVaultDbContext, Task<Error?>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("changing group members");
        }

        return await SaveAsync(actor, action, () => groupId, async db =>
            await db.Groups.AnyAsync(g => g.Id == groupId, cancellationToken) ? await change(db) : AccessErrors.GroupNotFound(groupId),
            new { UserId = userId }, cancellationToken);
    }

    private static Error? Check(AccessSubject actor, ref string name)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(name);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("managing groups");
        }

        name = name.Trim();
        return name.Length is 0 or > Group.MaxNameLength
            ? new Error("group.name_invalid", $"A group name has 1 to {Group.MaxNameLength} characters.")
            : null;
    }

    /// <summary>Applies a change and its audit row in one transaction, announces it, and returns the group as it is now.</summary>
    private async Task<Result<GroupSummary>> SaveAsync(
        AccessSubject actor,
        string action,
        Func<int> groupId,
        Func<FileVaultDbContext, Task<Error?>> change,
        object? detail,
        CancellationToken cancellationToken,
        bool summarize = true)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        Error? refused;
        try
        {
            refused = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (await change(db) is { } error)
                {
                    return error;
                }

                await db.SaveChangesAsync(ct);
                AuditTrail.Add(db, time, actor.UserId, action, $"group:{groupId()}", detail);
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                return null;
            }, cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            refused = new Error("group.name_taken", "A group with that name exists.");
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            refused = new Error("group.name_taken", "A group with that name exists.");
        }

        if (refused is not null)
        {
            return refused;
        }

        var id = groupId();
        logger.LogInformation("User {Actor}: {Action} on group {GroupId}", actor.UserId, action, id);
        await version.BumpAsync();
        if (!summarize)
        {
            return new GroupSummary(id, "", 0);
        }

        return await db.Groups.AsNoTracking().Where(g => g.Id == id)
            .Select(g => new GroupSummary(g.Id, g.Name, db.GroupMembers.Count(m => m.GroupId == g.Id)))
            .SingleAsync(cancellationToken);
    }
}
