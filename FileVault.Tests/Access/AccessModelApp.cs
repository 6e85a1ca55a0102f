using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Access;

/// <summary>A user the model test acts as, with a bearer token of their own.</summary>
internal sealed record ModelUser(string Name, Guid Id, HttpClient Client);

/// <summary>What must not change when an operation is refused: the disk, the catalog and the trash, as sorted lines.</summary>
internal sealed record StateSnapshot(string Disk, string Catalog, string Trash);

/// <summary>
/// The real app over a random folder tree on a temp directory (scanned), with three Users, an admin who edits grants and
/// watches, and a group; plus what the model test reads behind the API's back: the catalog, the disk, the trash, the jobs.
/// </summary>
internal sealed class AccessModelApp : FileVaultAppFactory
{
    public const string GroupName = "model-group";

    // Jobs that ended, from the app's job events, and a signal for each.
    private readonly ConcurrentDictionary<long, JobEvent> _finished = new();
    private readonly SemaphoreSlim _jobEnded = new(0);

    public AccessModelApp()
    {
        Settings["FileVault:Jobs:PollInterval"] = "00:00:00.200";
        Settings["FileVault:RateLimits:PerAddress"] = "10000";
        Settings["FileVault:RateLimits:PerEmail"] = "10000";
        // A grant the admin gives twice is refused as a duplicate, which EF Core logs as a failed command: noise here.
        Settings["Serilog:MinimumLevel:Override:Microsoft.EntityFrameworkCore"] = "Fatal";
    }

    public int RootId { get; private set; }

    public ModelUser Admin { get; private set; } = default!;

    public IReadOnlyList<ModelUser> Users { get; private set; } = [];

    public int GroupId { get; private set; }

    /// <summary>Starts the app over a tree made from <paramref name="seed"/>, scans it, creates the users, their tokens and the group.</summary>
    public async Task StartAsync(int seed)
    {
        await InitializeAsync();
        await WaitUntilReadyAsync();
        WriteTree(StorageDirectory, new Random(seed));
        await using (var db = Database.CreateDbContext())
        {
            RootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        Services.GetRequiredService<JobEvents>().Changed += OnJobEvent;
        var scan = await Services.GetRequiredService<Scanner>().RunAsync(RootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, scan.Status);

        await using (var db = Database.CreateDbContext())
        {
            var adminId = await db.Users.Where(u => u.Email == AdminEmail).Select(u => u.Id).SingleAsync();
            Admin = new ModelUser("admin", adminId, await ClientForAsync(AdminEmail, AdminPassword));
        }

        var users = new List<ModelUser>();
        foreach (var name in new[] { "u1", "u2", "u3" })
        {
            var user = await CreateUserAsync($"{name}@model.test", Roles.User);
            users.Add(new ModelUser(name, user.Id, await ClientForAsync(user.Email!, UserPassword)));
        }

        Users = users;
        var group = await Admin.Client.PostAsJsonAsync("/api/v1/admin/groups", new { name = GroupName });
        Assert.True(group.IsSuccessStatusCode, await group.Content.ReadAsStringAsync());
        GroupId = (await group.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    /// <summary>The catalog of the root: every entry in the tree or in the trash.</summary>
    public async Task<ModelTree> ReadTreeAsync()
    {
        await using var db = Database.CreateDbContext();
        var rows = await db.Entries.AsNoTracking()
            .Where(e => e.RootId == RootId && e.State != EntryState.Missing)
            .Select(e => new { e.Id, e.ParentId, e.Name, e.RelativePath, e.Kind, e.Size, e.State })
            .ToListAsync();
        return new ModelTree(rows.Select(e =>
            new ModelEntry(e.Id, e.ParentId, e.Name, e.RelativePath, e.Kind == EntryKind.Directory, e.Size, e.State == EntryState.Trashed)));
    }

    public async Task<IReadOnlyList<ModelTrashItem>> TrashItemsAsync()
    {
        await using var db = Database.CreateDbContext();
        var items = await db.TrashItems.AsNoTracking()
            .Where(t => t.RootId == RootId && t.State == TrashItemState.InTrash)
            .OrderBy(t => t.Id)
            .Select(t => new { t.Id, t.EntryId, t.OriginalPath, t.Name, t.DeletedById })
            .ToListAsync();
        return items.Select(t => new ModelTrashItem(t.Id, t.EntryId, t.OriginalPath, t.Name, t.DeletedById)).ToList();
    }

    /// <summary>
    /// The disk (the tree and the trash's contents, not FileVault's marker, staging or trash folders themselves), the
    /// catalog (<paramref name="tree"/>, in the same spelling: "path/" for a folder, "path size" for a file) and the trash items.
    /// </summary>
    public async Task<StateSnapshot> SnapshotAsync(ModelTree tree)
    {
        var disk = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(StorageDirectory))
        {
            var name = Path.GetFileName(path);
            if (name == ".filevault-trash")
            {
                foreach (var bucket in Directory.EnumerateDirectories(path))
                {
                    foreach (var deleted in Directory.EnumerateFileSystemEntries(bucket))
                    {
                        Walk(disk, deleted, $"{name}/{Path.GetFileName(bucket)}/{Path.GetFileName(deleted)}");
                    }
                }
            }
            else if (!name.StartsWith(".filevault", StringComparison.Ordinal))
            {
                Walk(disk, path, name);
            }
        }

        var catalog = tree.Active.Concat(tree.Trashed).Where(e => !e.IsRoot).Select(e => e.IsFolder ? e.Path + "/" : $"{e.Path} {e.Size}");
        var trash = (await TrashItemsAsync()).Select(t => $"{t.Id} {t.OriginalPath} by {t.DeletedById}");
        return new StateSnapshot(Lines(disk), Lines(catalog), Lines(trash));

        static string Lines(IEnumerable<string> lines) => string.Join('\n', lines.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Waits until the jobs have ended and the runner holds none (it releases a job's locks after finishing its row);
    /// "type Status[: error]" for each. Woken by the app's job events; the table is read too, now and then, in case one
    /// was missed.
    /// </summary>
    public async Task<string> WaitForJobsAsync(IReadOnlyList<long> ids)
    {
        if (ids.Count == 0)
        {
            return "";
        }

        var runner = Services.GetRequiredService<JobRunner>();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            if (ids.All(_finished.ContainsKey))
            {
                if (runner.RunningCount == 0)
                {
                    return string.Join(", ", ids.Select(id => _finished[id]).Select(j => j.Error is null ? $"{j.Type} {j.Status}" : $"{j.Type} {j.Status}: {j.Error}"));
                }

                await Task.Delay(1);
            }
            else if (!await _jobEnded.WaitAsync(TimeSpan.FromMilliseconds(250)))
            {
                await ReadFinishedJobsAsync(ids);
            }
        }

        throw new TimeoutException($"Jobs {string.Join(", ", ids)} did not end within a minute.");
    }

    private void OnJobEvent(JobEvent change)
    {
        if (change.IsFinished)
        {
            _finished[change.Id] = change;
            _jobEnded.Release();
        }
    }

    private async Task ReadFinishedJobsAsync(IReadOnlyList<long> ids)
    {
        var wanted = ids.ToArray();
        await using var db = Database.CreateDbContext();
        var jobs = await db.Jobs.AsNoTracking().Where(j => wanted.Contains(j.Id)).ToListAsync();
        foreach (var job in jobs.Where(j => j.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled))
        {
            _finished.TryAdd(job.Id, JobEvent.From(job, job.Status));
        }
    }

    private async Task<HttpClient> ClientForAsync(string email, string password)
    {
        using var anonymous = CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { email, password });
        Assert.True(response.IsSuccessStatusCode, $"token for {email}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static void Walk(List<string> lines, string path, string relative)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null && info.Attributes.HasFlag(FileAttributes.Directory))
        {
            lines.Add(relative + "/");
            foreach (var child in Directory.EnumerateFileSystemEntries(path))
            {
                Walk(lines, child, $"{relative}/{Path.GetFileName(child)}");
            }
        }
        else
        {
            lines.Add($"{relative} {info.Length}");
        }
    }

    /// <summary>Three top folders, nested up to four deep ("d7"), one to three files in each ("f12.txt", 1 byte to 3 KB).</summary>
    private static void WriteTree(string root, Random random)
    {
        var folders = 0;
        var files = 0;
        Fill(root, 0);

        void Fill(string folder, int depth)
        {
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                var name = $"f{++files}.txt";
                var text = new StringBuilder(name);
                for (var size = random.Next(1, 3000); text.Length < size;)
                {
                    text.Append((char)('a' + random.Next(26)));
                }

                File.WriteAllText(Path.Combine(folder, name), text.ToString());
            }

            if (depth == 3)
            {
                return;
            }

            for (var i = depth == 0 ? 3 : random.Next(0, 4); i > 0; i--)
            {
                var child = Path.Combine(folder, $"d{++folders}");
                Directory.CreateDirectory(child);
                Fill(child, depth + 1);
            }
        }
    }
}
