using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Api;

/// <summary>
/// The grant cases of <see cref="EntryMatrixFixture"/> on <c>Sales</c>, each user with their own files, destination
/// folders, jobs and trash items in <c>Sales</c>, <c>Sales/Secret</c> and <c>Public</c> (on disk and scanned), so no
/// two requests of the matrix contend for a path lock. The job runner is off: accepted jobs stay queued and change
/// nothing, so every case answers the same in any order.
/// </summary>
public sealed class OperationMatrixFixture : ApiAppFactory
{
    public const string None = "none", Read = "read", Write = "write", Delete = "delete", DenyUnderAllow = "deny-under-allow", Admin = "admin";
    public static readonly string[] Users = [None, Read, Write, Delete, DenyUnderAllow, Admin];
    public static readonly string[] Folders = ["Sales", "Sales/Secret", "Public"];

    private readonly Dictionary<string, long> _paths = [];

    public Dictionary<string, HttpClient> Clients { get; } = [];

    public Dictionary<string, Guid> UserIds { get; } = [];

    /// <summary>Named jobs and trash items: "job:own:{who}", "trash:restore:{who}:{folder}", …</summary>
    public Dictionary<string, long> Ids { get; } = [];

    public Guid StrangerId { get; private set; }

    public long PathId(string path) => _paths[path];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("FileVault:Jobs:RunnerEnabled", "false");
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var path in new[] { "Sales/report.txt", "Sales/Secret/plan.txt", "Public/readme.txt" })
        {
            WriteFile(path);
        }

        foreach (var who in Users)
        {
            foreach (var folder in Folders)
            {
                foreach (var kind in new[] { "move", "copy", "delete", "rename" })
                {
                    WriteFile($"{folder}/{kind}-{who}.txt");
                }

                Directory.CreateDirectory(Path.Combine(StorageDirectory, folder, $"to-{who}"));
            }
        }

        var run = await Services.GetRequiredService<Scanner>().RunAsync(RootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
        await using (var db = Database.CreateDbContext())
        {
            foreach (var (path, id) in await db.Entries.Where(e => e.RootId == RootId && e.State == EntryState.Active).Select(e => new { e.RelativePath, e.Id })
                         .ToDictionaryAsync(e => e.RelativePath, e => e.Id))
            {
                _paths[path] = id;
            }
        }

        StrangerId = (await CreateUserAsync("stranger@ops.test", Roles.User)).Id;
        foreach (var who in Users)
        {
            var user = await CreateUserAsync($"{who}@ops.test", who == Admin ? Roles.Admin : Roles.User);
            UserIds[who] = user.Id;
            await GrantMatrixCaseAsync(who, user.Id);

            await AddJobsAndTrashAsync(who, user.Id);
            Clients[who] = await BearerForAsync(user.Email!);
        }
    }

    /// <summary>A personal access token of the given scope for a user of the matrix.</summary>
    public async Task<HttpClient> PersonalTokenClientAsync(string who, string scope)
    {
        var response = await Clients[who].PostAsJsonAsync("/api/v1/me/tokens", new { name = "script " + scope, scope, expiresInDays = 30 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return Bearer((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!);
    }

    private async Task AddJobsAndTrashAsync(string who, Guid userId)
    {
        var ledger = Services.GetRequiredService<JobLedger>();
        async Task<long> JobAsync(Guid owner, bool failed)
        {
            var id = (await ledger.EnqueueAsync(owner, new NewJob("copy", JobQueues.Copy, "{}"), CancellationToken.None)).Value;
            if (failed)
            {
                await ledger.FinishAsync(id, JobStatus.Failed, "disk unplugged", CancellationToken.None);
            }

            return id;
        }

        Ids[$"job:own:{who}"] = await JobAsync(userId, failed: false);
        Ids[$"job:other:{who}"] = await JobAsync(StrangerId, failed: false);
        Ids[$"job:own-failed:{who}"] = await JobAsync(userId, failed: true);
        Ids[$"job:other-failed:{who}"] = await JobAsync(StrangerId, failed: true);

        await using var db = Database.CreateDbContext();
        foreach (var folder in Folders)
        {
            foreach (var (key, owner) in new[] { ("restore", userId), ("purge", userId), ("restore-other", StrangerId), ("purge-other", StrangerId) })
            {
                var name = $"trashed-{key}-{who}.txt";
                var item = new TrashItem
                {
                    RootId = RootId, EntryId = Random.Shared.NextInt64(1_000_000_000, long.MaxValue), OriginalPath = $"{folder}/{name}", Name = name,
                    Kind = EntryKind.File, Size = 1, EntryCount = 1, DeletedById = owner, DeletedAt = DateTimeOffset.UtcNow, State = TrashItemState.InTrash,
                };
                db.TrashItems.Add(item);
                await db.SaveChangesAsync();
                Ids[$"trash:{key}:{who}:{folder}"] = item.Id;
            }
        }
    }

    private void WriteFile(string relative)
    {
        var path = Path.Combine(StorageDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, relative);
    }
}
