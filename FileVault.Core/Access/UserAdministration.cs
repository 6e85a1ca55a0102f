using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Access;

public sealed record UserSummary(
    Guid Id, string Email, string DisplayName, IReadOnlyList<string> Roles, bool IsDisabled, bool IsLockedOut, DateTimeOffset CreatedAt);

public sealed record NewUser(string Email, string DisplayName, string Password, IReadOnlyCollection<string> Roles);

/// <summary>
/// Creating and steering user accounts, for Admins and SuperAdmins. An Admin manages Users and DeskStaff; only a
/// SuperAdmin manages Admins and SuperAdmins and hands out or takes back those two roles; the last enabled
/// SuperAdmin can be neither disabled nor demoted. Disabling, a password reset and a role change renew the security
/// stamp, so the user's cookies and open circuits end at their next validation (at most a minute).
/// </summary>
/// <remarks>
/// Each operation runs in its own DI scope (a fresh UserManager and context: a circuit-long context would serve
/// stale users) and in one transaction with its audit row. Codes: <c>auth.forbidden</c>, <c>user.not_found</c>,
/// <c>user.email_taken</c>, <c>user.email_invalid</c>, <c>user.name_invalid</c>, <c>user.password_weak</c>,
/// <c>user.role_unknown</c>, <c>user.last_superadmin</c>, <c>user.self</c>, <c>user.invalid</c>.
/// </remarks>
public sealed class UserAdministration(
    IServiceScopeFactory scopeFactory,
    AccessVersion version,
    TimeProvider time,
    ILogger<UserAdministration> logger)
{
    private const int MaxDisplayNameLength = 100;

    // Serialises the "is this the last SuperAdmin" decisions (pg_advisory_xact_lock), so two SuperAdmins demoting
    // each other at once cannot both succeed.
    private const long SuperAdminLockKey = 0x4656_5355_5041_444D; // "FVSUPADM"

    private static readonly string[] AdministratorRoles = [Roles.Admin, Roles.SuperAdmin];

    public async Task<Result<IReadOnlyList<UserSummary>>> ListAsync(AccessSubject actor, string? search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("listing users");
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FileVaultDbContext>();
        var users = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = LikePatterns.Containing(search.Trim());
            users = users.Where(u => EF.Functions.ILike(u.Email!, pattern, LikePatterns.Escape) || EF.Functions.ILike(u.DisplayName, pattern, LikePatterns.Escape));
        }

        var rows = await Summaries(db, users.OrderBy(u => u.Email)).ToListAsync(cancellationToken);
        return rows.Select(r => r.ToSummary(time)).ToList();
    }

    public async Task<Result<UserSummary>> CreateAsync(AccessSubject actor, NewUser newUser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(newUser);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("creating users");
        }

        if (CheckRoles(actor, newUser.Roles, []) is { } roleError)
        {
            return roleError;
        }

        var email = newUser.Email.Trim();
        var displayName = newUser.DisplayName.Trim();
        if (displayName.Length is 0 or > MaxDisplayNameLength)
        {
            return new Error("user.name_invalid", $"A display name has 1 to {MaxDisplayNameLength} characters.");
        }

        var user = new FileVaultUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = displayName,
            CreatedAt = time.GetUtcNow(),
        };
        return await RunAsync(actor, "user.create", async (users, db) =>
        {
            if (await users.FindByEmailAsync(email) is not null)
            {
                return new Error("user.email_taken", $"A user with the e-mail {email} exists.");
            }

            if (Check(await users.CreateAsync(user, newUser.Password)) is { } createError)
            {
                return createError;
            }

            if (newUser.Roles.Count > 0 && Check(await users.AddToRolesAsync(user, newUser.Roles.Distinct())) is { } rolesError)
            {
                return rolesError;
            }

            Audit(db, actor, "user.create", user.Id, new { Email = email, Roles = newUser.Roles });
            return user.Id;
        }, cancellationToken);
    }

    /// <summary>Disables sign-in and ends the user's sessions.</summary>
    public Task<Result<UserSummary>> DisableAsync(AccessSubject actor, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(actor, userId, "user.disable", async (users, db, user, roles) =>
        {
            if (user.Id == actor.UserId)
            {
                return new Error("user.self", "You cannot disable your own account.");
            }

            if (roles.Contains(Roles.SuperAdmin) && !user.IsDisabled && await IsLastSuperAdminAsync(db, user.Id, cancellationToken))
            {
                return LastSuperAdmin();
            }

            user.IsDisabled = true;
            return Check(await users.UpdateSecurityStampAsync(user));
        }, cancellationToken);

    public Task<Result<UserSummary>> EnableAsync(AccessSubject actor, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(actor, userId, "user.enable", async (users, _, user, _) =>
        {
            user.IsDisabled = false;
            return Check(await users.UpdateAsync(user));
        }, cancellationToken);

    /// <summary>Ends a lock-out after failed sign-ins.</summary>
    public Task<Result<UserSummary>> UnlockAsync(AccessSubject actor, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(actor, userId, "user.unlock", async (users, _, user, _) =>
            Check(await users.SetLockoutEndDateAsync(user, null)) ?? Check(await users.ResetAccessFailedCountAsync(user)),
            cancellationToken);

    /// <summary>Sets a generated password and returns it, to be shown once and never stored in clear.</summary>
    public async Task<Result<string>> ResetPasswordAsync(AccessSubject actor, Guid userId, CancellationToken cancellationToken)
    {
        var password = AdminSeeder.GeneratePassword();
        var changed = await ChangeAsync(actor, userId, "user.reset_password", async (users, _, user, _) =>
            Check(await users.RemovePasswordAsync(user)) ?? Check(await users.AddPasswordAsync(user, password)),
            cancellationToken);
        return changed.IsSuccess ? password : changed.Error!;
    }

    /// <summary>Replaces the user's roles.</summary>
    public Task<Result<UserSummary>> SetRolesAsync(
        AccessSubject actor, Guid userId, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roles);
        return ChangeAsync(actor, userId, "user.set_roles", async (users, db, user, current) =>
        {
            if (CheckRoles(actor, roles, current) is { } roleError)
            {
                return roleError;
            }

            if (current.Contains(Roles.SuperAdmin) && !roles.Contains(Roles.SuperAdmin) && !user.IsDisabled
                && await IsLastSuperAdminAsync(db, user.Id, cancellationToken))
            {
                return LastSuperAdmin();
            }

            return Check(await users.RemoveFromRolesAsync(user, current.Except(roles)))
                ?? Check(await users.AddToRolesAsync(user, roles.Except(current).Distinct()))
                ?? Check(await users.UpdateSecurityStampAsync(user));
        }, cancellationToken, detail: new { Roles = roles });
    }

    private static Error LastSuperAdmin() =>
        new("user.last_superadmin", "This is the last enabled SuperAdmin; make another one first.");

    /// <summary>Only known roles; and only a SuperAdmin hands out or takes back Admin and SuperAdmin.</summary>
    private static Error? CheckRoles(AccessSubject actor, IReadOnlyCollection<string> wanted, IReadOnlyCollection<string> current)
    {
        if (wanted.FirstOrDefault(r => !Roles.All.Contains(r)) is { } unknown)
        {
            return new Error("user.role_unknown", $"There is no role {unknown}.");
        }

        var changed = wanted.Except(current).Concat(current.Except(wanted));
        return !actor.IsSuperAdmin && changed.Any(AdministratorRoles.Contains)
            ? AccessErrors.Forbidden("only a SuperAdmin gives or takes the Admin and SuperAdmin roles")
            : null;
    }

    private static async Task<bool> IsLastSuperAdminAsync(FileVaultDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({SuperAdminLockKey})", cancellationToken);
        return !await db.UserRoles
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name })
            .Join(db.Users, x => x.UserId, u => u.Id, (x, u) => new { x.UserId, x.Name, u.IsDisabled })
            .AnyAsync(x => x.Name == Roles.SuperAdmin && x.UserId != userId && !x.IsDisabled, cancellationToken);
    }

    /// <summary>
    /// Loads the target user, refuses when the actor may not manage them (an Admin may not touch an Admin or a
    /// SuperAdmin), applies the change and audits it.
    /// </summary>
    private async Task<Result<UserSummary>> ChangeAsync(
        AccessSubject actor,
        Guid userId,
        string action,
        Func<UserManager<FileVaultUser>, FileVaultDbContext, FileVaultUser, IReadOnlyList<string>, Task<Error?>> change,
        CancellationToken cancellationToken,
        object? detail = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("managing users");
        }

        return await RunAsync(actor, action, async (users, db) =>
        {
            var user = await users.FindByIdAsync(userId.ToString());
            if (user is null)
            {
                return AccessErrors.UserNotFound(userId);
            }

            var roles = (await users.GetRolesAsync(user)).ToList();
            if (!actor.IsSuperAdmin && roles.Any(AdministratorRoles.Contains))
            {
                return AccessErrors.Forbidden("only a SuperAdmin manages Admins and SuperAdmins");
            }

            if (await change(users, db, user, roles) is { } error)
            {
                return error;
            }

            Audit(db, actor, action, user.Id, detail);
            return user.Id;
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="work"/> in a fresh scope and one transaction; commits only when it succeeds.</summary>
    private async Task<Result<UserSummary>> RunAsync(
        AccessSubject actor,
        string action,
        Func<UserManager<FileVaultUser>, FileVaultDbContext, Task<Result<Guid>>> work,
        CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FileVaultDbContext>();
        var outcome = await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            // A retry gets a fresh scope: the failed attempt's UserManager tracked entities that are now wrong.
            await using var attempt = scopeFactory.CreateAsyncScope();
            var attemptDb = attempt.ServiceProvider.GetRequiredService<FileVaultDbContext>();
            var users = attempt.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
            await using var transaction = await attemptDb.Database.BeginTransactionAsync(ct);
            var result = await work(users, attemptDb);
            if (!result.IsSuccess)
            {
                return result;
            }

            await attemptDb.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return result;
        }, cancellationToken);
        if (!outcome.IsSuccess)
        {
            logger.LogInformation("User {Actor}: {Action} refused: {Error}", actor.UserId, action, outcome.Error);
            return outcome.Error!;
        }

        logger.LogInformation("User {Actor}: {Action} on user {Target}", actor.UserId, action, outcome.Value);
        await version.BumpAsync();
        var summary = await Summaries(db, db.Users.AsNoTracking().Where(u => u.Id == outcome.Value)).SingleAsync(cancellationToken);
        return summary.ToSummary(time);
    }

    private void Audit(FileVaultDbContext db, AccessSubject actor, string action, Guid target, object? detail) =>
        AuditTrail.Add(db, time, actor.UserId, action, $"user:{target}", detail);

    private static Error? Check(IdentityResult result)
    {
        if (result.Succeeded)
        {
            return null;
        }

        var first = result.Errors.First();
        var message = string.Join(" ", result.Errors.Select(e => e.Description));
        return first.Code switch
        {
            "DuplicateEmail" or "DuplicateUserName" => new Error("user.email_taken", message),
            "InvalidEmail" or "InvalidUserName" => new Error("user.email_invalid", message),
            _ when first.Code.StartsWith("Password", StringComparison.Ordinal) => new Error("user.password_weak", message),
            _ => new Error("user.invalid", message),
        };
    }

    private static IQueryable<UserRow> Summaries(FileVaultDbContext db, IQueryable<FileVaultUser> users) =>
        users.Select(u => new UserRow(
            u.Id,
            u.Email ?? "",
            u.DisplayName,
            db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name!).ToList(),
            u.IsDisabled,
            u.LockoutEnd,
            u.CreatedAt));

    private sealed record UserRow(
        Guid Id, string Email, string DisplayName, List<string> Roles, bool IsDisabled, DateTimeOffset? LockoutEnd, DateTimeOffset CreatedAt)
    {
        public UserSummary ToSummary(TimeProvider time) => new(
            Id, Email, DisplayName, Roles.OrderBy(r => Access.Roles.All.ToList().IndexOf(r)).ToList(), IsDisabled,
            LockoutEnd > time.GetUtcNow(), CreatedAt);
    }
}
