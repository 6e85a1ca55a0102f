using FileVault.Core.Access;
using FileVault.Core.Catalog;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

/// <summary>
/// The SQL read filter against real PostgreSQL, on a few hundred catalog rows with a realistic grant layout. It is
/// also how "a user granted one folder sees exactly that folder" is checked until the folder browser page exists.
/// </summary>
public sealed class ReadableEntriesTests : IAsyncLifetime
{
    private static readonly string[] Departments = ["Sales", "Sales-Confidential", "Salesforce", "HR", "Engineering", "100%_done", "100%Xdone"];

    private AccessWorld _world = default!;
    private int _share;
    private int _archive;
    private List<(int RootId, string Path)> _all = [];

    public async Task InitializeAsync()
    {
        _world = await AccessWorld.CreateAsync();
        _share = await _world.AddRootAsync("share");
        _archive = await _world.AddRootAsync("archive", isReadOnly: true);
        foreach (var root in new[] { _share, _archive })
        {
            var paths = new List<string>();
            foreach (var department in Departments)
            {
                foreach (var year in new[] { "2023", "2024", "Secret", "Secret/Public" })
                {
                    var folder = $"{department}/{year}";
                    paths.Add(folder);
                    paths.AddRange(Enumerable.Range(1, 6).Select(i => $"{folder}/문서_{i}.txt"));
                }
            }

            await _world.AddFoldersAsync(root, paths.Where(p => !p.EndsWith(".txt", StringComparison.Ordinal)).ToArray());
            await _world.AddEntriesAsync(root, paths.Where(p => p.EndsWith(".txt", StringComparison.Ordinal)));
        }

        await using var db = _world.Database.CreateDbContext();
        _all = (await db.Entries.Select(e => new { e.RootId, e.RelativePath }).ToListAsync()).Select(e => (e.RootId, e.RelativePath)).ToList();
        Assert.True(_all.Count > 400, $"only {_all.Count} rows");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task A_user_granted_one_folder_sees_exactly_that_folder_and_what_is_under_it()
    {
        var user = await _world.AddUserAsync("sales.rep@filevault.test", Roles.User);
        await _world.GrantAsync(_share, "Sales", Permission.Read, user: user);

        var readable = await ReadableAsync(user);

        var expected = _all.Where(e => e.RootId == _share && (e.Path == "Sales" || e.Path.StartsWith("Sales/", StringComparison.Ordinal))).ToHashSet();
        Assert.Equal(expected.Order(), readable.Order());
        Assert.DoesNotContain(readable, e => e.Path.StartsWith("Sales-Confidential", StringComparison.Ordinal));
        Assert.DoesNotContain(readable, e => e.RootId == _archive);
    }

    [Fact]
    public async Task Filter_agrees_with_the_evaluator_on_every_row_for_a_mixed_layout()
    {
        var user = await _world.AddUserAsync("mixed@filevault.test", Roles.User);
        var engineers = await _world.AddGroupAsync("Engineers", user);
        var everyone = await _world.AddGroupAsync("Everyone", user);
        await _world.GrantAsync(_share, "Engineering", Permission.Read | Permission.Write, groupId: engineers);
        await _world.GrantAsync(_share, "Engineering/Secret", Permission.Read, GrantEffect.Deny, groupId: everyone);
        await _world.GrantAsync(_share, "Engineering/Secret/Public", Permission.Read, user: user);
        await _world.GrantAsync(_share, "100%_done", Permission.Read, user: user);
        // Write alone does not make anything readable.
        await _world.GrantAsync(_share, "HR", Permission.Write, user: user);
        await _world.GrantAsync(_archive, "", Permission.Read, groupId: everyone);
        await _world.GrantAsync(_archive, "Sales", Permission.Read, GrantEffect.Deny, user: user);
        // Deny and allow on one folder: the deny wins.
        await _world.GrantAsync(_archive, "HR/2023", Permission.Read, user: user);
        await _world.GrantAsync(_archive, "HR/2023", Permission.Read | Permission.Delete, GrantEffect.Deny, groupId: engineers);

        var readable = await ReadableAsync(user);

        await using var scope = _world.NewScope();
        var evaluator = scope.ServiceProvider.GetRequiredService<AccessEvaluator>();
        var expected = new HashSet<(int, string)>();
        foreach (var (rootId, path) in _all)
        {
            if (await evaluator.CanReadAsync(user, rootId, path, CancellationToken.None))
            {
                expected.Add((rootId, path));
            }
        }

        Assert.Equal(expected.Order(), readable.Order());
        Assert.Contains((_share, "Engineering/Secret/Public/문서_1.txt"), readable);
        Assert.DoesNotContain((_share, "Engineering/Secret/문서_1.txt"), readable);
        Assert.Contains((_share, "100%_done/2024"), readable);
        Assert.DoesNotContain((_share, "100%Xdone/2024"), readable);
        Assert.DoesNotContain(readable, e => e.RootId == _share && e.Path.StartsWith("HR", StringComparison.Ordinal));
        Assert.Contains((_archive, "Salesforce/2023"), readable);
        Assert.DoesNotContain((_archive, "Sales/2023"), readable);
        Assert.DoesNotContain((_archive, "HR/2023/문서_2.txt"), readable);
        Assert.Contains((_archive, "HR/2024/문서_2.txt"), readable);
    }

    [Fact]
    public async Task Without_grants_nothing_is_readable_and_admins_read_everything()
    {
        var user = await _world.AddUserAsync("nothing@filevault.test", Roles.User);
        var admin = await _world.AddUserAsync("reads.all@filevault.test", Roles.Admin);

        Assert.Empty(await ReadableAsync(user));
        Assert.Equal(_all.Count, (await ReadableAsync(admin)).Count);
    }

    [Fact]
    public async Task The_filter_composes_with_a_browse_query_and_counts_only_readable_rows()
    {
        var user = await _world.AddUserAsync("browser@filevault.test", Roles.User);
        await _world.GrantAsync(_share, "HR/2024", Permission.Read, user: user);

        await using var db = _world.Database.CreateDbContext();
        var hrId = await db.Entries.Where(e => e.RootId == _share && e.RelativePath == "HR").Select(e => e.Id).SingleAsync();
        var children = db.Entries.Where(e => e.ParentId == hrId).WhereReadable(db, user);

        Assert.Equal(1, await children.CountAsync());
        Assert.Equal("2024", await children.Select(e => e.Name).SingleAsync());
    }

    private async Task<List<(int RootId, string Path)>> ReadableAsync(AccessSubject user)
    {
        await using var db = _world.Database.CreateDbContext();
        var rows = await db.Entries.AsNoTracking().WhereReadable(db, user)
            .Select(e => new { e.RootId, e.RelativePath })
            .ToListAsync();
        return rows.Select(e => (e.RootId, e.RelativePath)).ToList();
    }
}
