using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

public sealed class UserAdministrationTests : IAsyncLifetime
{
    private const string Password = "a-long-enough-password";
    private AccessWorld _world = default!;
    private AccessSubject _superAdmin = default!;
    private AccessSubject _admin = default!;
    private AsyncServiceScope _scope;

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _scope = _world.NewScope();
        _superAdmin = await _world.AddUserAsync("super@filevault.test", Roles.SuperAdmin, Roles.User);
        _admin = await _world.AddUserAsync("admin@filevault.test", Roles.Admin, Roles.User);
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _world.DisposeAsync();
    }

    private UserAdministration Users => _scope.ServiceProvider.GetRequiredService<UserAdministration>();

    [Fact]
    public async Task Admin_creates_a_user_who_can_then_sign_in_with_the_password()
    {
        var created = await Users.CreateAsync(_admin, new NewUser(" new.user@filevault.test ", "새 사용자", Password, [Roles.User]), CancellationToken.None);

        Assert.True(created.IsSuccess, created.Error?.ToString());
        Assert.Equal(("new.user@filevault.test", "새 사용자"), (created.Value.Email, created.Value.DisplayName));
        Assert.Equal([Roles.User], created.Value.Roles);
        Assert.True(await PasswordWorksAsync(created.Value.Id, Password));
    }

    [Fact]
    public async Task An_email_can_be_used_once()
    {
        var again = await Users.CreateAsync(_superAdmin, new NewUser("ADMIN@filevault.test", "Copy", Password, [Roles.User]), CancellationToken.None);

        Assert.Equal("user.email_taken", again.Error?.Code);
    }

    [Theory]
    [InlineData("not-an-email", Password, "user.email_invalid")]
    [InlineData("short.pw@filevault.test", "short", "user.password_weak")]
    public async Task Bad_input_is_refused_with_its_code_and_creates_nothing(string email, string password, string code)
    {
        var result = await Users.CreateAsync(_admin, new NewUser(email, "Someone", password, [Roles.User]), CancellationToken.None);

        Assert.Equal(code, result.Error?.Code);
        await using var db = _world.Database.CreateDbContext();
        Assert.False(await db.Users.AnyAsync(u => u.Email == email));
    }

    [Fact]
    public async Task Only_a_super_admin_gives_the_admin_role()
    {
        var byAdmin = await Users.CreateAsync(_admin, new NewUser("would.be.admin@filevault.test", "X", Password, [Roles.Admin]), CancellationToken.None);
        var bySuper = await Users.CreateAsync(_superAdmin, new NewUser("real.admin@filevault.test", "Y", Password, [Roles.Admin]), CancellationToken.None);

        Assert.Equal("auth.forbidden", byAdmin.Error?.Code);
        Assert.True(bySuper.IsSuccess, bySuper.Error?.ToString());
    }

    [Fact]
    public async Task An_admin_cannot_touch_a_super_admin_or_another_admin()
    {
        var otherAdmin = await _world.AddUserAsync("other.admin@filevault.test", Roles.Admin);

        Assert.Equal("auth.forbidden", (await Users.DisableAsync(_admin, _superAdmin.UserId, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await Users.ResetPasswordAsync(_admin, _superAdmin.UserId, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await Users.SetRolesAsync(_admin, otherAdmin.UserId, [Roles.User], CancellationToken.None)).Error?.Code);
    }

    [Fact]
    public async Task A_plain_user_cannot_administer_anyone()
    {
        var user = await _world.AddUserAsync("plain@filevault.test", Roles.User);
        var other = await _world.AddUserAsync("victim@filevault.test", Roles.User);

        Assert.Equal("auth.forbidden", (await Users.DisableAsync(user, other.UserId, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await Users.ListAsync(user, null, CancellationToken.None)).Error?.Code);
    }

    [Fact]
    public async Task Nobody_can_remove_or_disable_the_last_super_admin()
    {
        await using (var db = _world.Database.CreateDbContext())
        {
            var seeded = await db.Users.Where(u => u.Email == FirstAdminOptions.DefaultEmail).Select(u => u.Id).SingleAsync();
            Assert.True((await Users.SetRolesAsync(_superAdmin, seeded, [Roles.User], CancellationToken.None)).IsSuccess);
        }

        var demote = await Users.SetRolesAsync(_superAdmin, _superAdmin.UserId, [Roles.Admin], CancellationToken.None);
        var otherSuper = await _world.AddUserAsync("second.super@filevault.test", Roles.SuperAdmin);
        // With a second SuperAdmin, disabling the first is fine; the second is then the last one.
        var disableFirst = await Users.DisableAsync(otherSuper, _superAdmin.UserId, CancellationToken.None);
        var demoteSecond = await Users.SetRolesAsync(otherSuper, otherSuper.UserId, [Roles.User], CancellationToken.None);

        Assert.Equal("user.last_superadmin", demote.Error?.Code);
        Assert.True(disableFirst.IsSuccess, disableFirst.Error?.ToString());
        Assert.Equal("user.last_superadmin", demoteSecond.Error?.Code);
    }

    [Fact]
    public async Task The_seeded_super_admin_is_protected_too()
    {
        await using var db = _world.Database.CreateDbContext();
        var seeded = await db.Users.SingleAsync(u => u.Email == FirstAdminOptions.DefaultEmail);
        await db.UserRoles.Where(ur => ur.UserId == _superAdmin.UserId).ExecuteDeleteAsync();

        var result = await Users.DisableAsync(_superAdmin, seeded.Id, CancellationToken.None);

        Assert.Equal("user.last_superadmin", result.Error?.Code);
    }

    [Fact]
    public async Task Disabling_renews_the_security_stamp_and_enabling_restores_sign_in()
    {
        var user = await _world.AddUserAsync("to.disable@filevault.test", Roles.User);
        var stampBefore = await StampAsync(user.UserId);

        var disabled = await Users.DisableAsync(_admin, user.UserId, CancellationToken.None);
        Assert.True(disabled.Value.IsDisabled);
        Assert.NotEqual(stampBefore, await StampAsync(user.UserId));

        var enabled = await Users.EnableAsync(_admin, user.UserId, CancellationToken.None);
        Assert.False(enabled.Value.IsDisabled);
    }

    [Fact]
    public async Task Nobody_disables_their_own_account()
    {
        Assert.Equal("user.self", (await Users.DisableAsync(_superAdmin, _superAdmin.UserId, CancellationToken.None)).Error?.Code);
    }

    [Fact]
    public async Task Reset_password_returns_a_new_password_that_works_once_shown()
    {
        var created = await Users.CreateAsync(_admin, new NewUser("forgetful@filevault.test", "F", Password, [Roles.User]), CancellationToken.None);

        var reset = await Users.ResetPasswordAsync(_admin, created.Value.Id, CancellationToken.None);

        Assert.True(reset.IsSuccess, reset.Error?.ToString());
        Assert.True(await PasswordWorksAsync(created.Value.Id, reset.Value));
        Assert.False(await PasswordWorksAsync(created.Value.Id, Password));
    }

    [Fact]
    public async Task Unlock_ends_a_lock_out()
    {
        var created = await Users.CreateAsync(_admin, new NewUser("locked@filevault.test", "L", Password, [Roles.User]), CancellationToken.None);
        await using (var db = _world.Database.CreateDbContext())
        {
            await db.Users.Where(u => u.Id == created.Value.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, DateTimeOffset.UtcNow.AddHours(1)).SetProperty(u => u.AccessFailedCount, 5));
        }

        Assert.True((await Users.ListAsync(_admin, "locked@", CancellationToken.None)).Value.Single().IsLockedOut);

        var unlocked = await Users.UnlockAsync(_admin, created.Value.Id, CancellationToken.None);

        Assert.False(unlocked.Value.IsLockedOut);
    }

    [Fact]
    public async Task Changes_are_audited_with_the_actor()
    {
        var created = await Users.CreateAsync(_admin, new NewUser("audited@filevault.test", "A", Password, [Roles.User]), CancellationToken.None);
        await Users.DisableAsync(_admin, created.Value.Id, CancellationToken.None);

        await using var db = _world.Database.CreateDbContext();
        var actions = await db.AuditLog.Where(a => a.Target == $"user:{created.Value.Id}").OrderBy(a => a.Id).Select(a => new { a.Action, a.ActorId }).ToListAsync();
        Assert.Equal(["user.create", "user.disable"], actions.Select(a => a.Action));
        Assert.All(actions, a => Assert.Equal(_admin.UserId, a.ActorId));
    }

    private async Task<string?> StampAsync(Guid userId)
    {
        await using var db = _world.Database.CreateDbContext();
        return await db.Users.Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleAsync();
    }

    private async Task<bool> PasswordWorksAsync(Guid userId, string password)
    {
        await using var scope = _world.NewScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
        return await users.CheckPasswordAsync((await users.FindByIdAsync(userId.ToString()))!, password);
    }
}
