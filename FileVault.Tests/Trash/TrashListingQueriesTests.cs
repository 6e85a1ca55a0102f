using System.Text;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Trash;

/// <summary>What the Trash page asks of Core: pages, the name filter, who sees what, and who may restore or purge.</summary>
public sealed class TrashListingQueriesTests : IAsyncLifetime
{
    private static readonly string[] Names = ["견적서.xlsx", "회의록.txt", "계약서.pdf", "메모.txt"];
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;
    private AccessSubject _kim = default!;
    private long _kimGrant;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "영업부"));
            foreach (var name in Names)
            {
                File.WriteAllText(Path.Combine(root, "영업부", name), "내용 " + name);
            }
        }, FileOperationsTests.RunnerSettings);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _admin = await UserAsync("boss@corp.test", Roles.Admin);
        _kim = await UserAsync("kim@corp.test", Roles.User);
        _kimGrant = await GrantAsync(_kim, "영업부", Permission.Read | Permission.Write | Permission.Delete);
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);

        // Deleted one after the other: kim three files, the admin one.
        foreach (var (who, name) in new[] { (_kim, "견적서.xlsx"), (_kim, "회의록.txt"), (_admin, "메모.txt"), (_kim, "계약서.pdf") })
        {
            await RunAsync(async ops => await ops.DeleteAsync(who, [await _harness.IdOfAsync("영업부/" + name)], null, default));
        }
    }

    public async Task DisposeAsync()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task A_user_pages_through_only_their_own_items_newest_first_with_the_total()
    {
        var first = (await PageAsync(_kim, new TrashQuery(Take: 2))).Value;
        var second = (await PageAsync(_kim, new TrashQuery(Skip: 2, Take: 2))).Value;

        Assert.Equal(3, first.Total);
        Assert.Equal(["계약서.pdf", "회의록.txt"], first.Items.Select(i => i.Name));
        Assert.Equal(["견적서.xlsx"], second.Items.Select(i => i.Name));
        var item = first.Items[0];
        Assert.Equal(("영업부/계약서.pdf", "영업부", "pdf", "kim@corp.test"), (item.OriginalPath, item.OriginalFolder, item.Extension, item.DeletedBy));
        Assert.Equal(item.DeletedAt.AddDays(30), item.PurgeAt);
        Assert.Equal("operation.selection", (await PageAsync(_kim, new TrashQuery(Take: TrashQueries.MaxPageSize + 1))).Error?.Code);
    }

    [Fact]
    public async Task An_admin_sees_everyones_items_with_who_deleted_them()
    {
        var page = (await PageAsync(_admin, new TrashQuery())).Value;

        Assert.Equal(4, page.Total);
        Assert.Equal(["kim@corp.test", "boss@corp.test", "kim@corp.test", "kim@corp.test"], page.Items.Select(i => i.DeletedBy));
        Assert.All(page.Items, i => Assert.True(i.CanRestore && i.CanPurge));
    }

    [Fact]
    public async Task The_name_filter_ignores_case_and_unicode_form_and_wildcards()
    {
        Assert.Equal(["회의록.txt"], (await PageAsync(_kim, new TrashQuery("회의록".Normalize(NormalizationForm.FormD)))).Value.Items.Select(i => i.Name));
        Assert.Equal(["회의록.txt"], (await PageAsync(_kim, new TrashQuery(" .TXT "))).Value.Items.Select(i => i.Name));
        Assert.Equal(0, (await PageAsync(_kim, new TrashQuery("%"))).Value.Total);
        Assert.Equal(3, (await PageAsync(_kim, new TrashQuery("  "))).Value.Total);
    }

    [Fact]
    public async Task A_user_made_read_only_may_neither_restore_nor_purge_and_core_refuses_both()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.Id == _kimGrant).ExecuteUpdateAsync(g => g.SetProperty(x => x.Permissions, Permission.Read));
        }

        await _harness.Get<AccessVersion>().BumpAsync();
        var page = (await PageAsync(_kim, new TrashQuery())).Value;

        Assert.All(page.Items, i => Assert.False(i.CanRestore || i.CanPurge, i.Name));
        await using var scope = _harness.CreateScope();
        var ops = scope.ServiceProvider.GetRequiredService<TrashOperations>();
        var ids = page.Items.Select(i => i.Id).ToList();
        Assert.Equal("auth.forbidden", (await ops.RestoreAsync(_kim, ids, ConflictChoice.KeepBoth, null, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await ops.PurgeAsync(_kim, ids, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await ops.PurgeAsync(_kim, null, default)).Error?.Code);
        Assert.Equal(3, (await PageAsync(_kim, new TrashQuery())).Value.Total);
        Assert.True(File.Exists(_harness.PathOf($".filevault-trash/{ids[0]}/계약서.pdf")));
    }

    [Fact]
    public async Task A_restore_conflict_names_the_taken_names_and_keep_both_numbers_the_restored_one()
    {
        File.WriteAllText(_harness.PathOf("영업부/회의록.txt"), "새 회의록");
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Incremental)).Status);
        var items = (await PageAsync(_kim, new TrashQuery())).Value.Items;
        var ids = items.Where(i => i.Name is "회의록.txt" or "견적서.xlsx").Select(i => i.Id).ToList();

        await using (var scope = _harness.CreateScope())
        {
            var ops = scope.ServiceProvider.GetRequiredService<TrashOperations>();
            Assert.Equal("name.conflict", (await ops.RestoreAsync(_kim, ids, ConflictChoice.Ask, null, default)).Error?.Code);
            Assert.Equal(["회의록.txt"], (await ops.FindRestoreConflictsAsync(_kim, ids, default)).Value);
        }

        var job = await RunAsync(async ops => (await ops.RestoreAsync(_kim, ids, ConflictChoice.KeepBoth, null, default)).Value.Single());

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal("내용 회의록.txt", File.ReadAllText(_harness.PathOf("영업부/회의록 (1).txt")));
        Assert.Equal("새 회의록", File.ReadAllText(_harness.PathOf("영업부/회의록.txt")));
        Assert.Equal("내용 견적서.xlsx", File.ReadAllText(_harness.PathOf("영업부/견적서.xlsx")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_conflict_in_one_root_queues_no_restore_in_another_so_the_choice_can_be_sent_again()
    {
        var second = Directory.CreateTempSubdirectory("filevault-second-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(second, "도면.dwg"), "원본 도면");
            int secondRoot;
            await using (var scope = _harness.CreateScope())
            {
                secondRoot = (await scope.ServiceProvider.GetRequiredService<StorageRootRegistry>().RegisterAsync(null, "second", second, false, default)).Value.Id;
            }

            Assert.Equal(ScanStatus.Completed, (await _harness.Get<Scanner>().RunAsync(secondRoot, ScanKind.Full, "test", default)).Status);
            await RunAsync(async ops => await ops.DeleteAsync(_admin, [await _harness.IdOfAsync("도면.dwg", secondRoot)], null, default));
            File.WriteAllText(Path.Combine(second, "도면.dwg"), "새 도면");
            Assert.Equal(ScanStatus.Completed, (await _harness.Get<Scanner>().RunAsync(secondRoot, ScanKind.Full, "test", default)).Status);
            var ids = (await PageAsync(_admin, new TrashQuery())).Value.Items.Where(i => i.Name is "도면.dwg" or "견적서.xlsx").Select(i => i.Id).ToList();
            long jobsBefore;
            await using (var db = _harness.Database.CreateDbContext())
            {
                jobsBefore = await db.Jobs.CountAsync(j => j.Type == "restore");
            }

            await using (var scope = _harness.CreateScope())
            {
                var asked = await scope.ServiceProvider.GetRequiredService<TrashOperations>().RestoreAsync(_admin, ids, ConflictChoice.Ask, "click-7", default);
                Assert.Equal("name.conflict", asked.Error?.Code);
            }

            await using (var db = _harness.Database.CreateDbContext())
            {
                Assert.Equal(jobsBefore, await db.Jobs.CountAsync(j => j.Type == "restore"));
            }

            var jobs = await RunManyAsync(ops => ops.RestoreAsync(_admin, ids, ConflictChoice.KeepBoth, "click-7", default));

            Assert.Equal(2, jobs.Count);
            Assert.All(jobs, j => Assert.True(j.Status == JobStatus.Succeeded, j.Error));
            Assert.Equal("원본 도면", File.ReadAllText(Path.Combine(second, "도면 (1).dwg")));
            Assert.Equal("내용 견적서.xlsx", File.ReadAllText(_harness.PathOf("영업부/견적서.xlsx")));
        }
        finally
        {
            Directory.Delete(second, recursive: true);
        }
    }

    [Fact]
    public async Task A_failed_restore_step_is_in_the_audit_trail_as_failed_with_its_job()
    {
        var item = (await PageAsync(_kim, new TrashQuery("견적서"))).Value.Items.Single();
        Directory.Delete(_harness.PathOf($".filevault-trash/{item.Id}"), recursive: true);

        var job = await RunAsync(async ops => (await ops.RestoreAsync(_kim, [item.Id], ConflictChoice.Ask, null, default)).Value.Single());

        Assert.Equal(JobStatus.Failed, job.Status);
        await using var scope = _harness.CreateScope();
        var audit = await scope.ServiceProvider.GetRequiredService<AuditQueries>()
            .PageAsync(_admin, new AuditFilter(Result: AuditResult.Failed), null, 10, default);
        var row = Assert.Single(audit.Value.Items);
        Assert.Equal(("entry.restore", "kim@corp.test", job.Id), (row.Action, row.ActorEmail, row.JobId));
        Assert.EndsWith("/영업부/견적서.xlsx", row.Target, StringComparison.Ordinal);
    }

    private async Task<Result<TrashListing>> PageAsync(AccessSubject actor, TrashQuery query)
    {
        await using var scope = _harness.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<TrashQueries>().PageAsync(actor, query, default);
    }

    private async Task<List<Job>> RunManyAsync(Func<TrashOperations, Task<Result<IReadOnlyList<long>>>> request)
    {
        await using var scope = _harness.CreateScope();
        var result = await request(scope.ServiceProvider.GetRequiredService<TrashOperations>());
        Assert.True(result.IsSuccess, result.Error?.ToString());
        var jobs = new List<Job>();
        foreach (var id in result.Value)
        {
            jobs.Add(await WaitAsync(id));
        }

        return jobs;
    }

    // With a role row, as sign-up makes it: a job asks its owner's current roles before each step.
    private Task<AccessSubject> UserAsync(string email, string role) => HarnessUsers.CreateAsync(_harness, email, role);

    private async Task<long> GrantAsync(AccessSubject user, string folder, Permission permissions)
    {
        var grant = new FolderGrant
        {
            RootId = _harness.RootId, RelativePath = folder, UserId = user.UserId, Permissions = permissions, Effect = GrantEffect.Allow,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.FolderGrants.Add(grant);
            await db.SaveChangesAsync();
        }

        await _harness.Get<AccessVersion>().BumpAsync();
        return grant.Id;
    }

    private Task<Job> RunAsync(Func<FileOperations, Task<Result<long>>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<FileOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<TrashOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> WaitAsync(long id) => _harness.WaitForJobAsync(id);
}
