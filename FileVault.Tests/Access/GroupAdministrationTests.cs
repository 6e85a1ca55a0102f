using FileVault.Core.Access;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

public sealed class GroupAdministrationTests : IAsyncLifetime
{
    private AccessWorld _world = default!;
    private int _root;
    private AccessSubject _admin = default!;
    private AccessSubject _user = default!;

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _root = await _world.AddRootAsync("share");
        await _world.AddFoldersAsync(_root, "Projects/Alpha");
        _admin = await _world.AddUserAsync("groups.admin@filevault.test", Roles.Admin);
        _user = await _world.AddUserAsync("groups.user@filevault.test", Roles.User);
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Joining_and_leaving_a_group_gives_and_takes_its_grants_at_once()
    {
        await using var scope = _world.NewScope();
        var groups = scope.ServiceProvider.GetRequiredService<GroupAdministration>();
        var evaluator = scope.ServiceProvider.GetRequiredService<AccessEvaluator>();
        var team = await groups.CreateAsync(_admin, "Project Alpha", CancellationToken.None);
        await _world.GrantAsync(_root, "Projects/Alpha", Permission.Read | Permission.Write, groupId: team.Value.Id);
        Assert.False(await evaluator.CanReadAsync(_user, _root, "Projects/Alpha", CancellationToken.None));

        var joined = await groups.AddMemberAsync(_admin, team.Value.Id, _user.UserId, CancellationToken.None);
        Assert.Equal(1, joined.Value.MemberCount);
        Assert.True(await evaluator.CanWriteAsync(_user, _root, "Projects/Alpha", CancellationToken.None));

        await groups.RemoveMemberAsync(_admin, team.Value.Id, _user.UserId, CancellationToken.None);
        Assert.False(await evaluator.CanReadAsync(_user, _root, "Projects/Alpha", CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_a_group_deletes_its_grants()
    {
        await using var scope = _world.NewScope();
        var groups = scope.ServiceProvider.GetRequiredService<GroupAdministration>();
        var team = await groups.CreateAsync(_admin, "Temporary", CancellationToken.None);
        await groups.AddMemberAsync(_admin, team.Value.Id, _user.UserId, CancellationToken.None);
        await _world.GrantAsync(_root, "", Permission.Read, groupId: team.Value.Id);

        var deleted = await groups.DeleteAsync(_admin, team.Value.Id, CancellationToken.None);

        Assert.Equal("Temporary", deleted.Value.Name);
        Assert.False(await scope.ServiceProvider.GetRequiredService<AccessEvaluator>().CanReadAsync(_user, _root, "", CancellationToken.None));
        await using var db = _world.Database.CreateDbContext();
        Assert.False(await db.FolderGrants.AnyAsync());
    }

    [Fact]
    public async Task Group_names_are_unique_trimmed_and_renamable()
    {
        await using var scope = _world.NewScope();
        var groups = scope.ServiceProvider.GetRequiredService<GroupAdministration>();
        var sales = await groups.CreateAsync(_admin, "  영업팀 ", CancellationToken.None);
        var duplicate = await groups.CreateAsync(_admin, "영업팀", CancellationToken.None);
        var empty = await groups.CreateAsync(_admin, "   ", CancellationToken.None);
        var renamed = await groups.RenameAsync(_admin, sales.Value.Id, "Sales", CancellationToken.None);

        Assert.Equal("영업팀", sales.Value.Name);
        Assert.Equal("group.name_taken", duplicate.Error?.Code);
        Assert.Equal("group.name_invalid", empty.Error?.Code);
        Assert.Equal("Sales", renamed.Value.Name);
    }

    [Fact]
    public async Task Only_admins_manage_groups()
    {
        await using var scope = _world.NewScope();
        var groups = scope.ServiceProvider.GetRequiredService<GroupAdministration>();

        Assert.Equal("auth.forbidden", (await groups.CreateAsync(_user, "Mine", CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await groups.ListAsync(_user, CancellationToken.None)).Error?.Code);
    }
}
