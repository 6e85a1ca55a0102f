using System.Text;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Media;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>Batch rename on a real disk, catalog and Redis: one job, all or nothing up front, chains and swaps on disk.</summary>
public sealed class BatchRenameOperationsTests : IAsyncLifetime
{
    private static readonly string MinutesNfd = "회의록.txt".Normalize(NormalizationForm.FormD);
    private ScanHarness _harness = default!;

    // A real account: the job runner asks again, before the batch runs, whether its owner is still enabled.
    private AccessSubject Admin { get; set; } = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "사진", "2024"));
            File.WriteAllText(Path.Combine(root, "사진", "2024", "inside.jpg"), "inside");
            foreach (var name in new[] { "1.txt", "2.txt", "3.txt", "a.jpg", "b.jpg", "c.jpg", "keep.jpg", MinutesNfd })
            {
                File.WriteAllText(Path.Combine(root, "사진", name), "content of " + name);
            }
        }, FileOperationsTests.RunnerSettings);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        Admin = await HarnessUsers.CreateAsync(_harness, "admin@batch-rename.test", Roles.Admin);
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task A_plain_batch_renames_files_and_a_folder_keeping_contents_ids_and_subtrees()
    {
        var ids = await IdsAsync("a.jpg", "b.jpg", "2024");

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Prefix = "여행_" });

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(3, result.Value.Renamed);
        Assert.Empty(result.Value.Failed);
        Assert.Equal("content of a.jpg", File.ReadAllText(_harness.PathOf("사진/여행_a.jpg")));
        Assert.True(File.Exists(_harness.PathOf("사진/여행_2024/inside.jpg")));
        Assert.False(File.Exists(_harness.PathOf("사진/a.jpg")));
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(ids[0], catalog["사진/여행_a.jpg"].Id);
        Assert.Equal(ids[2], catalog["사진/여행_2024"].Id);
        Assert.True(catalog.ContainsKey("사진/여행_2024/inside.jpg"));
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
    }

    [Fact]
    public async Task The_batch_is_one_job_with_one_audit_row_per_renamed_entry()
    {
        var ids = await IdsAsync("a.jpg", "b.jpg");

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Suffix = "_x" });

        await using var db = _harness.Database.CreateDbContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == result.Value.JobId);
        Assert.Equal((BatchRenameOperations.JobType, BatchRenameOperations.JobQueue, JobStatus.Succeeded), (job.Type, job.Queue, job.Status));
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.Type != ThumbnailJobHandler.JobType));
        var audit = await db.AuditLog.Where(a => a.Action == "entry.rename").Select(a => a.Target).ToListAsync();
        Assert.Equal([$"{RootName}/사진/a.jpg", $"{RootName}/사진/b.jpg"], audit.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Numbering_follows_the_order_the_entries_were_given()
    {
        var ids = await IdsAsync("c.jpg", "a.jpg", "b.jpg");

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule
        {
            Find = @"^.*$", Replace = "사진", UseRegex = true,
            Numbering = new BatchNumbering(Start: 1, Width: 3),
        });

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal("content of c.jpg", File.ReadAllText(_harness.PathOf("사진/사진_001")));
        Assert.Equal("content of a.jpg", File.ReadAllText(_harness.PathOf("사진/사진_002")));
        Assert.Equal("content of b.jpg", File.ReadAllText(_harness.PathOf("사진/사진_003")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_chain_runs_from_its_free_end()
    {
        // 1 → 2, 2 → 3, 3 → 4: each name is free by the time it is needed.
        var ids = await IdsAsync("1.txt", "2.txt", "3.txt");

        var result = await BatchRenameAsync(Admin, ids, BatchRenamePlannerTests.Renumber(start: 2, step: 1));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(3, result.Value.Renamed);
        Assert.Equal("content of 1.txt", File.ReadAllText(_harness.PathOf("사진/2.txt")));
        Assert.Equal("content of 2.txt", File.ReadAllText(_harness.PathOf("사진/3.txt")));
        Assert.Equal("content of 3.txt", File.ReadAllText(_harness.PathOf("사진/4.txt")));
        Assert.False(File.Exists(_harness.PathOf("사진/1.txt")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_swap_goes_through_a_temporary_name_and_leaves_none_behind()
    {
        var ids = await IdsAsync("1.txt", "2.txt", "3.txt");

        // 1 → 3, 2 → 2 (unchanged), 3 → 1.
        var result = await BatchRenameAsync(Admin, ids, BatchRenamePlannerTests.Renumber(start: 3, step: -1));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(2, result.Value.Renamed);
        Assert.Equal("content of 1.txt", File.ReadAllText(_harness.PathOf("사진/3.txt")));
        Assert.Equal("content of 2.txt", File.ReadAllText(_harness.PathOf("사진/2.txt")));
        Assert.Equal("content of 3.txt", File.ReadAllText(_harness.PathOf("사진/1.txt")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_harness.PathOf("사진")), p => Path.GetFileName(p).StartsWith(PathGuard.TemporaryPrefix, StringComparison.Ordinal));
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(ids[0], catalog["사진/3.txt"].Id);
        Assert.Equal(ids[2], catalog["사진/1.txt"].Id);
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(2, await db.AuditLog.CountAsync(a => a.Action == "entry.rename"));
    }

    [Fact]
    public async Task A_new_name_held_by_a_sibling_outside_the_batch_refuses_the_whole_batch()
    {
        var ids = await IdsAsync("1.txt", "2.txt");
        var before = _harness.Disk();

        // 2 → 4 is free, but 1 → 3 is taken by 3.txt, which is not in the batch.
        var result = await BatchRenameAsync(Admin, ids, BatchRenamePlannerTests.Renumber(start: 3, step: 1));

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.Contains("3.txt", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before.Keys.Order(), _harness.Disk().Keys.Order());
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(0, await db.Jobs.CountAsync(j => j.Type != ThumbnailJobHandler.JobType));
    }

    [Fact]
    public async Task A_plan_with_problems_is_refused_whole()
    {
        var ids = await IdsAsync("a.jpg", "b.jpg");
        var before = _harness.Disk();

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Find = "^a", Replace = "CON", UseRegex = true, NewExtension = "" });

        Assert.Equal("rename.plan_invalid", result.Error?.Code);
        Assert.Equal(before.Keys.Order(), _harness.Disk().Keys.Order());
    }

    [Fact]
    public async Task A_name_in_nfd_on_disk_is_renamed_to_an_nfc_name()
    {
        var ids = await IdsAsync(MinutesNfd);

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Find = "회의록", Replace = "회의록_최종", Prefix = "2025 " });

        Assert.True(result.IsSuccess, result.Error?.ToString());
        var names = Directory.GetFiles(_harness.PathOf("사진")).Select(Path.GetFileName).ToList();
        Assert.Contains("2025 회의록_최종.txt", names);
        Assert.DoesNotContain(MinutesNfd, names);
        await _harness.AssertCatalogMatchesDiskAsync();
        Assert.Equal(ids[0], (await _harness.CatalogAsync())["사진/2025 회의록_최종.txt"].Id);
    }

    [Fact]
    public async Task A_locked_entry_refuses_the_batch_with_who_holds_it_and_nothing_changes()
    {
        var ids = await IdsAsync("a.jpg", "b.jpg");
        var locks = _harness.Get<ResourceLocks>();
        await using var held = (await locks.AcquireAsync(new LockRequest(_harness.RootId, ["사진/b.jpg"], "move", "kim@corp"), TimeSpan.FromSeconds(30), CancellationToken.None)).Value;
        var before = _harness.Disk();

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Prefix = "x_" });

        Assert.Equal("lock.conflict", result.Error?.Code);
        Assert.Contains("move of kim@corp", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before.Keys.Order(), _harness.Disk().Keys.Order());
        await _harness.AssertCatalogMatchesDiskAsync();
        // The locks are taken before the job row, as for every queued operation: a refused batch leaves no job.
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(0, await db.Jobs.CountAsync(j => j.Type != ThumbnailJobHandler.JobType));
    }

    [Fact]
    public async Task A_name_taken_on_disk_behind_the_catalogs_back_fails_that_entry_alone()
    {
        var ids = await IdsAsync("a.jpg", "b.jpg");
        File.WriteAllText(_harness.PathOf("사진/x_b.jpg"), "not scanned yet");

        var result = await BatchRenameAsync(Admin, ids, new BatchRenameRule { Prefix = "x_" });

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(1, result.Value.Renamed);
        var failure = Assert.Single(result.Value.Failed);
        Assert.Equal((ids[1], "name.conflict"), (failure.EntryId, failure.Error.Code));
        Assert.Equal("not scanned yet", File.ReadAllText(_harness.PathOf("사진/x_b.jpg")));
        Assert.Equal("content of b.jpg", File.ReadAllText(_harness.PathOf("사진/b.jpg")));
        Assert.True(File.Exists(_harness.PathOf("사진/x_a.jpg")));
    }

    [Fact]
    public async Task Entries_of_another_folder_and_readers_without_write_are_refused()
    {
        var ids = await IdsAsync("a.jpg");
        var elsewhere = await _harness.IdOfAsync("사진/2024/inside.jpg");
        var reader = await HarnessUsers.WithGrantAsync(_harness, "사진", Permission.Read);

        var mixed = await BatchRenameAsync(Admin, [.. ids, elsewhere], new BatchRenameRule { Prefix = "x_" });
        var forbidden = await BatchRenameAsync(reader, ids, new BatchRenameRule { Prefix = "x_" });

        Assert.Equal("entry.not_found", mixed.Error?.Code);
        Assert.Equal("auth.forbidden", forbidden.Error?.Code);
        Assert.True(File.Exists(_harness.PathOf("사진/a.jpg")));
        Assert.True(File.Exists(_harness.PathOf("사진/2024/inside.jpg")));
    }

    [Fact]
    public async Task The_same_request_twice_renames_once()
    {
        var ids = await IdsAsync("a.jpg");
        await using var scope = _harness.CreateScope();
        var operations = scope.ServiceProvider.GetRequiredService<BatchRenameOperations>();
        var folder = await _harness.IdOfAsync("사진");
        var rule = new BatchRenameRule { Prefix = "x_" };

        var first = await operations.RequestBatchRenameAsync(Admin, folder, rule, ids, "click-9", CancellationToken.None);
        var done = await _harness.WaitForJobAsync(first.Value);
        var again = await operations.RequestBatchRenameAsync(Admin, folder, rule, ids, "click-9", CancellationToken.None);

        Assert.Equal(first.Value, again.Value);
        Assert.Equal(1, BatchRenameOperations.SummaryOf(done)?.Renamed);
        Assert.True(File.Exists(_harness.PathOf("사진/x_a.jpg")));
        Assert.False(File.Exists(_harness.PathOf("사진/x_x_a.jpg")));
    }

    [Fact]
    public async Task A_cancelled_batch_ends_cancelled_keeping_what_it_renamed_and_leaving_the_rest_untouched()
    {
        const int Count = 1500;
        Directory.CreateDirectory(_harness.PathOf("많은"));
        for (var i = 0; i < Count; i++)
        {
            File.WriteAllText(_harness.PathOf($"많은/파일 {i:D4}.txt"), $"content {i}");
        }

        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        var ids = new List<long>();
        for (var i = 0; i < Count; i++)
        {
            ids.Add(await _harness.IdOfAsync($"많은/파일 {i:D4}.txt"));
        }

        await using var scope = _harness.CreateScope();
        var queued = await scope.ServiceProvider.GetRequiredService<BatchRenameOperations>()
            .RequestBatchRenameAsync(Admin, await _harness.IdOfAsync("많은"), new BatchRenameRule { Prefix = "x_" }, ids, null, CancellationToken.None);
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        var ledger = _harness.Get<JobLedger>();
        // Cancel once the batch has renamed something: its first progress report comes after its first entry.
        await Poll.UntilAsync(async () => await ledger.GetAsync(queued.Value, default) is { Status: JobStatus.Running, Progress: > 0 }, "the batch to start renaming");
        Assert.True((await ledger.CancelAsync(Admin.UserId, false, queued.Value, default)).IsSuccess);

        var job = await _harness.WaitForJobAsync(queued.Value);

        Assert.Equal(JobStatus.Cancelled, job.Status);
        var summary = BatchRenameOperations.SummaryOf(job);
        Assert.NotNull(summary);
        Assert.Empty(summary.Failed);
        var renamed = Enumerable.Range(0, Count).Where(i => File.Exists(_harness.PathOf($"많은/x_파일 {i:D4}.txt"))).ToList();
        Assert.InRange(renamed.Count, 1, Count - 1);
        Assert.Equal((renamed.Count, Count - renamed.Count), (summary.Renamed, summary.NotReached));
        for (var i = 0; i < Count; i++)
        {
            // Each file at exactly one of its two names, whole.
            var name = renamed.Contains(i) ? $"x_파일 {i:D4}.txt" : $"파일 {i:D4}.txt";
            var other = renamed.Contains(i) ? $"파일 {i:D4}.txt" : $"x_파일 {i:D4}.txt";
            Assert.Equal($"content {i}", File.ReadAllText(_harness.PathOf("많은/" + name)));
            Assert.False(File.Exists(_harness.PathOf("많은/" + other)), other);
        }

        Assert.DoesNotContain(Directory.GetFileSystemEntries(_harness.PathOf("많은")), p => Path.GetFileName(p).StartsWith(PathGuard.TemporaryPrefix, StringComparison.Ordinal));
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(ids[renamed[0]], catalog[$"많은/x_파일 {renamed[0]:D4}.txt"].Id);
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(renamed.Count, await db.AuditLog.CountAsync(a => a.Action == "entry.rename"));
    }

    private string RootName => "root-" + Path.GetFileName(_harness.Root);

    private async Task<Result<BatchRenameSummary>> BatchRenameAsync(AccessSubject actor, IReadOnlyList<long> ids, BatchRenameRule rule)
    {
        await using var scope = _harness.CreateScope();
        var folder = await _harness.IdOfAsync("사진");
        var queued = await scope.ServiceProvider.GetRequiredService<BatchRenameOperations>().RequestBatchRenameAsync(actor, folder, rule, ids, null, CancellationToken.None);
        if (!queued.IsSuccess)
        {
            return queued.Error!;
        }

        var job = await _harness.WaitForJobAsync(queued.Value);
        return BatchRenameOperations.SummaryOf(job) is { } summary ? summary : new Error("job.failed", job.Error ?? "The job ended without a summary.");
    }

    private async Task<List<long>> IdsAsync(params string[] names)
    {
        var ids = new List<long>();
        foreach (var name in names)
        {
            ids.Add(await _harness.IdOfAsync("사진/" + name));
        }

        return ids;
    }
}
