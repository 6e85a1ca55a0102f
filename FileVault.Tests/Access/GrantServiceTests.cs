using FileVault.Core.Access;
using FileVault.Core.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

public sealed class GrantServiceTests : IAsyncLifetime
{
    private AccessWorld _world = default!;
    private int _root;
    private AccessSubject _admin = default!;
    private AccessSubject _user = default!;

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _root = await _world.AddRootAsync("share");
        await _world.AddFoldersAsync(_root, "Sales/2024", "HR");
        await _world.AddEntriesAsync(_root, ["Sales/2024/report.pdf"]);
        _admin = await _world.AddUserAsync("grant.admin@filevault.test", Roles.Admin);
        _user = await _world.AddUserAsync("grant.user@filevault.test", Roles.User);
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Admin_grants_read_and_the_user_can_read_at_once_in_a_scope_that_had_cached_the_old_answer()
    {
        await using var scope = _world.NewScope();
        var evaluator = scope.ServiceProvider.GetRequiredService<AccessEvaluator>();
        Assert.False(await evaluator.CanReadAsync(_user, _root, "Sales/2024", CancellationToken.None));

        var created = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "Sales", _user.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);

        Assert.True(created.IsSuccess, created.Error?.ToString());
        Assert.Equal(("Sales", "grant.user@filevault.test"), (created.Value.RelativePath, created.Value.Principal.Name));
        Assert.True(await evaluator.CanReadAsync(_user, _root, "Sales/2024", CancellationToken.None));
    }

    [Fact]
    public async Task Removing_a_grant_takes_the_access_away_from_a_scope_that_had_cached_it()
    {
        await using var scope = _world.NewScope();
        var grant = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "HR", _user.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);
        var evaluator = scope.ServiceProvider.GetRequiredService<AccessEvaluator>();
        Assert.True(await evaluator.CanReadAsync(_user, _root, "HR", CancellationToken.None));

        var deleted = await Grants(scope).DeleteAsync(_admin, grant.Value.Id, CancellationToken.None);

        Assert.True(deleted.IsSuccess, deleted.Error?.ToString());
        Assert.False(await evaluator.CanReadAsync(_user, _root, "HR", CancellationToken.None));
    }

    [Fact]
    public async Task Every_grant_change_writes_an_audit_row()
    {
        await using var scope = _world.NewScope();
        var grant = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "", _user.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);
        await Grants(scope).UpdateAsync(_admin, grant.Value.Id, Permission.Read | Permission.Write, GrantEffect.Allow, CancellationToken.None);
        await Grants(scope).DeleteAsync(_admin, grant.Value.Id, CancellationToken.None);

        await using var db = _world.Database.CreateDbContext();
        var audit = await db.AuditLog.Where(a => a.Target == $"grant:{grant.Value.Id}").OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(["grant.create", "grant.update", "grant.delete"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(_admin.UserId, a.ActorId));
        Assert.Contains("\"relativePath\": \"\"", audit[0].Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Nowhere", "grant.folder_not_found")]
    [InlineData("Sales/2024/report.pdf", "grant.folder_not_found")]
    [InlineData("Sales/../HR", "path.dot_component")]
    [InlineData("/Sales", "path.absolute")]
    public async Task A_grant_needs_an_existing_folder_with_a_clean_spelling(string path, string code)
    {
        await using var scope = _world.NewScope();

        var result = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, path, _user.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);

        Assert.Equal(code, result.Error?.Code);
    }

    [Fact]
    public async Task A_user_without_manage_cannot_edit_grants_and_cannot_see_that_a_grant_exists()
    {
        await using var scope = _world.NewScope();
        var admins = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "HR", _admin.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);

        var create = await Grants(scope).CreateAsync(_user,
            new NewGrant(_root, "HR", _user.UserId, null, Permission.All, GrantEffect.Allow), CancellationToken.None);
        var delete = await Grants(scope).DeleteAsync(_user, admins.Value.Id, CancellationToken.None);
        var list = await Grants(scope).ListAsync(_user, _root, "HR", CancellationToken.None);

        Assert.Equal("auth.forbidden", create.Error?.Code);
        Assert.Equal("grant.not_found", delete.Error?.Code);
        Assert.Equal("auth.forbidden", list.Error?.Code);
    }

    [Fact]
    public async Task Manage_on_a_folder_lets_a_user_edit_grants_there_and_below_but_not_above()
    {
        await _world.GrantAsync(_root, "Sales", Permission.Manage, user: _user);
        var colleague = await _world.AddUserAsync("colleague@filevault.test", Roles.User);
        await using var scope = _world.NewScope();

        var below = await Grants(scope).CreateAsync(_user,
            new NewGrant(_root, "Sales/2024", colleague.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);
        var above = await Grants(scope).CreateAsync(_user,
            new NewGrant(_root, "", colleague.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);

        Assert.True(below.IsSuccess, below.Error?.ToString());
        Assert.Equal("auth.forbidden", above.Error?.Code);
    }

    [Fact]
    public async Task A_second_allow_for_the_same_principal_and_folder_is_a_duplicate()
    {
        await using var scope = _world.NewScope();
        var grant = new NewGrant(_root, "HR", _user.UserId, null, Permission.Read, GrantEffect.Allow);
        Assert.True((await Grants(scope).CreateAsync(_admin, grant, CancellationToken.None)).IsSuccess);

        var again = await Grants(scope).CreateAsync(_admin, grant with { Permissions = Permission.Write }, CancellationToken.None);

        Assert.Equal("grant.duplicate", again.Error?.Code);
    }

    [Theory]
    [InlineData(Permission.None)]
    [InlineData((Permission)16)]
    public async Task A_grant_names_at_least_one_known_permission(Permission permissions)
    {
        await using var scope = _world.NewScope();

        var result = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "HR", _user.UserId, null, permissions, GrantEffect.Allow), CancellationToken.None);

        Assert.Equal("grant.permissions_invalid", result.Error?.Code);
    }

    [Fact]
    public async Task Explain_for_another_user_is_for_admins_and_shows_the_deciding_grant()
    {
        await using var scope = _world.NewScope();
        var grant = await Grants(scope).CreateAsync(_admin,
            new NewGrant(_root, "Sales", _user.UserId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);

        var explained = await Grants(scope).ExplainAsync(_admin, _user.UserId, _root, "Sales/2024", CancellationToken.None);
        var refused = await Grants(scope).ExplainAsync(_user, _admin.UserId, _root, "Sales/2024", CancellationToken.None);

        Assert.Equal(Permission.Read, explained.Value.Effective.Granted);
        Assert.Equal(grant.Value.Id, explained.Value.Decisions.Single(d => d.Permission == Permission.Read).Grant!.Id);
        Assert.Equal("auth.forbidden", refused.Error?.Code);
    }

    private static GrantService Grants(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<GrantService>();
}
