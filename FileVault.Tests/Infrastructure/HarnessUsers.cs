using FileVault.Core.Access;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Infrastructure;

/// <summary>Users whose roles are rows in the database, as sign-up makes them: what a job sees when it re-checks its owner.</summary>
internal static class HarnessUsers
{
    public static async Task<AccessSubject> CreateAsync(ScanHarness harness, string email, string role)
    {
        var userId = Guid.NewGuid();
        await using var db = harness.Database.CreateDbContext();
        var roleId = await db.Roles.Where(r => r.Name == role).Select(r => (Guid?)r.Id).SingleOrDefaultAsync();
        if (roleId is null)
        {
            roleId = Guid.NewGuid();
            db.Roles.Add(new IdentityRole<Guid> { Id = roleId.Value, Name = role, NormalizedName = role.ToUpperInvariant() });
        }

        db.Users.Add(new FileVaultUser
        {
            Id = userId, UserName = email, Email = email, NormalizedEmail = email.ToUpperInvariant(), NormalizedUserName = email.ToUpperInvariant(), SecurityStamp = "s",
        });
        db.UserRoles.Add(new IdentityUserRole<Guid> { UserId = userId, RoleId = roleId.Value });
        await db.SaveChangesAsync();
        return AccessSubject.Create(userId, [role]);
    }

    /// <summary>A new user (role User) allowed <paramref name="permissions"/> on <paramref name="folder"/> of the harness's root.</summary>
    public static async Task<AccessSubject> WithGrantAsync(ScanHarness harness, string folder, Permission permissions)
    {
        var user = await CreateAsync(harness, $"{Guid.NewGuid()}@t", Roles.User);
        await using (var db = harness.Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant
            {
                RootId = harness.RootId, RelativePath = folder, UserId = user.UserId, Permissions = permissions, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        await harness.Get<AccessVersion>().BumpAsync();
        return user;
    }
}
