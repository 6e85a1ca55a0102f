using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

/// <summary>
/// A fresh database with Core's services, storage roots whose catalog rows are written directly (no disk), and
/// shortcuts for users, groups and grants, for tests of the access rules.
/// </summary>
public sealed class AccessWorld : IAsyncDisposable
{
    private readonly Dictionary<(int RootId, string Path), long> _entryIds = [];

    private AccessWorld(TestDatabase database, ServiceProvider services)
    {
        Database = database;
        Services = services;
    }

    public TestDatabase Database { get; }

    public ServiceProvider Services { get; }

    public static async Task<AccessWorld> CreateAsync()
    {
        var database = await TestDatabase.CreateAsync();
        var services = CoreServices.Build(database);
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AdminSeeder>().SeedAsync(TextWriter.Null, CancellationToken.None);
        return new AccessWorld(database, services);
    }

    /// <summary>A root row with its own catalog entry "" (the path is never read).</summary>
    public async Task<int> AddRootAsync(string name, bool isReadOnly = false)
    {
        await using var db = Database.CreateDbContext();
        var root = new StorageRoot { Name = name, Path = "/nonexistent/" + name, IsReadOnly = isReadOnly, CreatedAt = DateTimeOffset.UtcNow };
        db.StorageRoots.Add(root);
        await db.SaveChangesAsync();
        await AddEntriesAsync(root.Id, [""]);
        return root.Id;
    }

    /// <summary>Catalog rows for the given paths, parents first; a path with a dot in its last name is a file.</summary>
    public async Task AddEntriesAsync(int rootId, IEnumerable<string> paths)
    {
        await using var db = Database.CreateDbContext();
        foreach (var level in paths.Distinct().GroupBy(p => p.Length == 0 ? 0 : p.Count(c => c == '/') + 1).OrderBy(g => g.Key))
        {
            var added = level.Select(path =>
            {
                var name = path.Length == 0 ? "" : path[(path.LastIndexOf('/') + 1)..];
                var parent = path.Length == 0 ? (long?)null
                    : _entryIds[(rootId, path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : "")];
                return new Entry
                {
                    RootId = rootId,
                    ParentId = parent,
                    Name = name,
                    NameKey = name.ToLowerInvariant(),
                    RelativePath = path,
                    Kind = name.Contains('.', StringComparison.Ordinal) ? EntryKind.File : EntryKind.Directory,
                    ModifiedAt = DateTimeOffset.UtcNow,
                };
            }).ToList();
            db.Entries.AddRange(added);
            await db.SaveChangesAsync();
            foreach (var entry in added)
            {
                _entryIds[(rootId, entry.RelativePath)] = entry.Id;
            }
        }
    }

    /// <summary>Folders and their ancestors.</summary>
    public Task AddFoldersAsync(int rootId, params string[] paths) =>
        AddEntriesAsync(rootId, paths.SelectMany(p => AccessEvaluator.AncestorsAndSelf(p)!).Where(p => !_entryIds.ContainsKey((rootId, p))));

    public async Task<AccessSubject> AddUserAsync(string email, params string[] roles)
    {
        await using var db = Database.CreateDbContext();
        var user = new FileVaultUser
        {
            Id = Guid.NewGuid(),
            UserName = email,
            NormalizedUserName = email.ToUpperInvariant(),
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            DisplayName = email,
            SecurityStamp = Guid.NewGuid().ToString(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Users.Add(user);
        foreach (var role in roles)
        {
            var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleAsync();
            db.UserRoles.Add(new() { UserId = user.Id, RoleId = roleId });
        }

        await db.SaveChangesAsync();
        return AccessSubject.Create(user.Id, roles);
    }

    public async Task<int> AddGroupAsync(string name, params AccessSubject[] members)
    {
        await using var db = Database.CreateDbContext();
        var group = new Group { Name = name, CreatedAt = DateTimeOffset.UtcNow };
        db.Groups.Add(group);
        await db.SaveChangesAsync();
        db.GroupMembers.AddRange(members.Select(m => new GroupMember { GroupId = group.Id, UserId = m.UserId }));
        await db.SaveChangesAsync();
        return group.Id;
    }

    /// <summary>Writes a grant row directly, without the grant service and without bumping the access version.</summary>
    public async Task<long> GrantAsync(int rootId, string path, Permission permissions, GrantEffect effect = GrantEffect.Allow,
        AccessSubject? user = null, int? groupId = null)
    {
        await using var db = Database.CreateDbContext();
        var grant = new FolderGrant
        {
            RootId = rootId,
            RelativePath = path,
            UserId = user?.UserId,
            GroupId = groupId,
            Permissions = permissions,
            Effect = effect,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.FolderGrants.Add(grant);
        await db.SaveChangesAsync();
        return grant.Id;
    }

    /// <summary>A scope like one request or circuit: its own evaluator and cache.</summary>
    public AsyncServiceScope NewScope() => Services.CreateAsyncScope();

    public async Task<EffectivePermissions> PermissionsAsync(AccessSubject user, int rootId, string path)
    {
        await using var scope = NewScope();
        return await scope.ServiceProvider.GetRequiredService<AccessEvaluator>().GetAsync(user, rootId, path, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Database.DisposeAsync();
    }
}
