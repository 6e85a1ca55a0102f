using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

public sealed class AccessEvaluatorTests : IAsyncLifetime
{
    private AccessWorld _world = default!;
    private int _root;

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _root = await _world.AddRootAsync("share");
        await _world.AddFoldersAsync(_root, "Sales/2024/Q1", "Sales-Confidential", "Salesforce", "HR/Payroll", "Engineering/Secret/Public");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Without_a_grant_a_user_may_do_nothing()
    {
        var user = await _world.AddUserAsync("nobody@filevault.test", Roles.User);

        Assert.Equal(Permission.None, (await _world.PermissionsAsync(user, _root, "Sales")).Granted);
        Assert.Equal(Permission.None, (await _world.PermissionsAsync(user, _root, "")).Granted);
    }

    [Fact]
    public async Task A_grant_is_inherited_by_subfolders_but_not_by_the_parent()
    {
        var user = await _world.AddUserAsync("reader@filevault.test", Roles.User);
        await _world.GrantAsync(_root, "Sales", Permission.Read | Permission.Write, user: user);

        Assert.Equal(Permission.Read | Permission.Write, (await _world.PermissionsAsync(user, _root, "Sales")).Granted);
        Assert.Equal(Permission.Read | Permission.Write, (await _world.PermissionsAsync(user, _root, "Sales/2024/Q1")).Granted);
        Assert.Equal(Permission.None, (await _world.PermissionsAsync(user, _root, "")).Granted);
    }

    [Theory]
    [InlineData("Sales-Confidential")]
    [InlineData("Salesforce")]
    [InlineData("Sales-Confidential/plan.xlsx")]
    public async Task A_grant_on_Sales_does_not_cover_a_sibling_whose_name_starts_with_Sales(string path)
    {
        var user = await _world.AddUserAsync("sales@filevault.test", Roles.User);
        await _world.GrantAsync(_root, "Sales", Permission.All, user: user);

        Assert.Equal(Permission.None, (await _world.PermissionsAsync(user, _root, path)).Granted);
    }

    [Fact]
    public async Task An_explicit_deny_on_a_subfolder_overrides_the_inherited_allow_below_it_only()
    {
        var user = await _world.AddUserAsync("engineer@filevault.test", Roles.User);
        await _world.GrantAsync(_root, "Engineering", Permission.Read | Permission.Write, user: user);
        await _world.GrantAsync(_root, "Engineering/Secret", Permission.Read, GrantEffect.Deny, user: user);

        Assert.True((await _world.PermissionsAsync(user, _root, "Engineering")).CanRead);
        var secret = await _world.PermissionsAsync(user, _root, "Engineering/Secret/Public");
        Assert.False(secret.CanRead);
        // Each bit is decided on its own: the deny names Read only, so Write is still inherited.
        Assert.True(secret.CanWrite);
    }

    [Fact]
    public async Task The_nearest_grant_wins_so_an_allow_below_a_deny_opens_that_folder_again()
    {
        var user = await _world.AddUserAsync("public@filevault.test", Roles.User);
        await _world.GrantAsync(_root, "", Permission.Read, user: user);
        await _world.GrantAsync(_root, "Engineering/Secret", Permission.Read, GrantEffect.Deny, user: user);
        await _world.GrantAsync(_root, "Engineering/Secret/Public", Permission.Read, user: user);

        Assert.True((await _world.PermissionsAsync(user, _root, "HR/Payroll")).CanRead);
        Assert.False((await _world.PermissionsAsync(user, _root, "Engineering/Secret")).CanRead);
        Assert.True((await _world.PermissionsAsync(user, _root, "Engineering/Secret/Public")).CanRead);
    }

    [Fact]
    public async Task Deny_beats_allow_on_the_same_folder_even_from_a_group()
    {
        var user = await _world.AddUserAsync("both@filevault.test", Roles.User);
        var contractors = await _world.AddGroupAsync("Contractors", user);
        await _world.GrantAsync(_root, "HR", Permission.Read | Permission.Write, user: user);
        await _world.GrantAsync(_root, "HR", Permission.Write, GrantEffect.Deny, groupId: contractors);

        Assert.Equal(Permission.Read, (await _world.PermissionsAsync(user, _root, "HR/Payroll")).Granted);
    }

    [Fact]
    public async Task Group_grants_apply_to_members_and_only_to_members()
    {
        var member = await _world.AddUserAsync("member@filevault.test", Roles.User);
        var outsider = await _world.AddUserAsync("outsider@filevault.test", Roles.User);
        var hr = await _world.AddGroupAsync("HR team", member);
        await _world.GrantAsync(_root, "HR", Permission.Read, groupId: hr);

        Assert.True((await _world.PermissionsAsync(member, _root, "HR/Payroll")).CanRead);
        Assert.False((await _world.PermissionsAsync(outsider, _root, "HR/Payroll")).CanRead);

        await using (var db = _world.Database.CreateDbContext())
        {
            await db.GroupMembers.Where(m => m.UserId == member.UserId).ExecuteDeleteAsync();
        }

        Assert.False((await _world.PermissionsAsync(member, _root, "HR/Payroll")).CanRead);
    }

    [Theory]
    [InlineData(Roles.Admin)]
    [InlineData(Roles.SuperAdmin)]
    public async Task Admins_hold_every_permission_without_grants_but_cannot_write_a_read_only_root(string role)
    {
        var admin = await _world.AddUserAsync(role + "@filevault.test", role);
        var archive = await _world.AddRootAsync("archive", isReadOnly: true);

        Assert.Equal(Permission.All, (await _world.PermissionsAsync(admin, _root, "HR/Payroll")).Granted);
        Assert.Equal(Permission.Read | Permission.Manage, (await _world.PermissionsAsync(admin, archive, "")).Granted);
    }

    [Fact]
    public async Task A_read_only_root_lets_nobody_write_or_delete_whatever_the_grants_say()
    {
        var user = await _world.AddUserAsync("archivist@filevault.test", Roles.User);
        var archive = await _world.AddRootAsync("archive-ro", isReadOnly: true);
        await _world.GrantAsync(archive, "", Permission.All, user: user);

        await using var scope = _world.NewScope();
        var explanation = await scope.ServiceProvider.GetRequiredService<AccessEvaluator>()
            .ExplainAsync(user, archive, "", CancellationToken.None);

        Assert.Equal(Permission.Read | Permission.Manage, explanation.Effective.Granted);
        Assert.Equal(DecisionSource.ReadOnlyRoot, explanation.Decisions.Single(d => d.Permission == Permission.Write).Source);
    }

    [Fact]
    public async Task Explain_names_the_grant_that_decided_each_permission()
    {
        var user = await _world.AddUserAsync("explained@filevault.test", Roles.User);
        var team = await _world.AddGroupAsync("Sales team", user);
        var allow = await _world.GrantAsync(_root, "Sales", Permission.Read | Permission.Write, groupId: team);
        var deny = await _world.GrantAsync(_root, "Sales/2024", Permission.Write, GrantEffect.Deny, user: user);

        await using var scope = _world.NewScope();
        var explanation = await scope.ServiceProvider.GetRequiredService<AccessEvaluator>()
            .ExplainAsync(user, _root, "Sales/2024/Q1", CancellationToken.None);

        var read = explanation.Decisions.Single(d => d.Permission == Permission.Read);
        Assert.True(read.Allowed);
        Assert.Equal((DecisionSource.Grant, allow, "Sales team", "Sales"),
            (read.Source, read.Grant!.Id, read.Grant.Principal.Name, read.Grant.RelativePath));
        var write = explanation.Decisions.Single(d => d.Permission == Permission.Write);
        Assert.False(write.Allowed);
        Assert.Equal((deny, GrantEffect.Deny, "explained@filevault.test"), (write.Grant!.Id, write.Grant.Effect, write.Grant.Principal.Name));
        Assert.Equal(DecisionSource.NoGrant, explanation.Decisions.Single(d => d.Permission == Permission.Delete).Source);
    }

    [Theory]
    [InlineData("Sales/../HR")]
    [InlineData("/Sales")]
    [InlineData("Sales/")]
    [InlineData("Sales//2024")]
    public async Task A_path_with_a_spelling_the_catalog_never_has_gets_nothing(string path)
    {
        var user = await _world.AddUserAsync("dots@filevault.test", Roles.User);
        await _world.GrantAsync(_root, "Sales", Permission.All, user: user);

        Assert.Equal(Permission.None, (await _world.PermissionsAsync(user, _root, path)).Granted);
    }

    [Fact]
    public async Task An_unknown_root_gives_nothing_even_to_admins()
    {
        var admin = await _world.AddUserAsync("admin-unknown@filevault.test", Roles.Admin);

        Assert.Equal(Permission.None, (await _world.PermissionsAsync(admin, 999_999, "")).Granted);
    }

    [Fact]
    public async Task Answers_are_cached_per_scope_until_the_access_version_moves()
    {
        var user = await _world.AddUserAsync("cached@filevault.test", Roles.User);
        await using var scope = _world.NewScope();
        var evaluator = scope.ServiceProvider.GetRequiredService<AccessEvaluator>();
        Assert.False(await evaluator.CanReadAsync(user, _root, "Sales", CancellationToken.None));

        // Written behind the cache's back: the scope keeps its answer...
        await _world.GrantAsync(_root, "Sales", Permission.Read, user: user);
        Assert.False(await evaluator.CanReadAsync(user, _root, "Sales", CancellationToken.None));

        // ...until a change is announced.
        await _world.Services.GetRequiredService<AccessVersion>().BumpAsync();
        Assert.True(await evaluator.CanReadAsync(user, _root, "Sales", CancellationToken.None));
    }

    [Theory]
    [InlineData("", new[] { "" })]
    [InlineData("a", new[] { "a", "" })]
    [InlineData("a/bc/d", new[] { "a/bc/d", "a/bc", "a", "" })]
    public void Ancestors_are_whole_path_components_deepest_first(string path, string[] expected) =>
        Assert.Equal(expected, AccessEvaluator.AncestorsAndSelf(path));
}
