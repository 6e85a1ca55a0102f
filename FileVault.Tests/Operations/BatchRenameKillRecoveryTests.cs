using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// Batch rename under fire: the job runner process (`FileVault.Web jobs --until-idle`) is SIGKILLed at random points
/// while it renames 400 files — prefixed, or renumbered in reverse (1 ↔ 400, 2 ↔ 399, …) so that every pair goes through a
/// temporary name — and is started again until the job ends. Then every file holds its own bytes under its new name, renamed exactly once (one
/// audit row each), none is under a temporary name, and the catalog agrees with the disk.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
public sealed class BatchRenameKillRecoveryTests(ITestOutputHelper output) : KillScenario(output)
{
    private const int Kills = 6;

    protected override int FileCount => 400;

    protected override string AdminEmail => "kill-rename@t";

    protected override void WriteTree(string root)
    {
        var random = new Random(20261207);
        Directory.CreateDirectory(Path.Combine(root, "원본"));
        for (var i = 1; i <= FileCount; i++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(root, "원본", $"{i}.bin"), bytes);
        }
    }

    [Fact]
    public async Task Prefixing_400_files_survives_sigkill_at_random_points_without_a_double_prefix()
    {
        var ids = await IdsAsync();
        var finished = await RunWithKillsAsync(await RequestAsync(new BatchRenameRule { Prefix = "x_" }, ids));

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        Assert.Equal((FileCount, 0), BatchRenameOperations.SummaryOf(finished) is { } s ? (s.Renamed, s.Failed.Count) : (-1, -1));
        var after = RandomTree.Hashes(Harness.Root, "원본");
        Assert.Equal(
            Hashes.ToDictionary(h => Path.Join("원본", "x_" + Path.GetFileName(h.Key)), h => h.Value).OrderBy(h => h.Key, StringComparer.Ordinal),
            after.OrderBy(h => h.Key, StringComparer.Ordinal));
        await AssertRenamedOnceAsync(ids, $"원본/x_1.bin");
    }

    [Fact]
    public async Task Renumbering_400_files_in_reverse_survives_sigkill_at_random_points()
    {
        var ids = await IdsAsync();
        var finished = await RunWithKillsAsync(await RequestAsync(BatchRenamePlannerTests.Renumber(start: FileCount, step: -1), ids));

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        Assert.Equal((FileCount, 0), BatchRenameOperations.SummaryOf(finished) is { } s ? (s.Renamed, s.Failed.Count) : (-1, -1));
        var after = RandomTree.Hashes(Harness.Root, "원본");
        Assert.Equal(FileCount, after.Count);
        for (var i = 1; i <= FileCount; i++)
        {
            // Renamed once: i.bin now sits at (401 - i).bin; renamed twice it would be back at i.bin.
            Assert.Equal(Hashes[Path.Join("원본", $"{i}.bin")], after[Path.Join("원본", $"{FileCount + 1 - i}.bin")]);
        }

        await AssertRenamedOnceAsync(ids, $"원본/{FileCount}.bin");
        Assert.Equal(ids[FileCount - 1], (await Harness.CatalogAsync())["원본/1.bin"].Id);
    }

    /// <summary>One audit row per entry (each reached its new name once), nothing under a temporary name, the catalog as the disk.</summary>
    private async Task AssertRenamedOnceAsync(List<long> ids, string firstEntrysNewPath)
    {
        Assert.Equal(ids[0], (await Harness.CatalogAsync())[firstEntrysNewPath].Id);
        await using var db = Harness.Database.CreateDbContext();
        Assert.Equal(FileCount, await db.AuditLog.CountAsync(a => a.Action == "entry.rename"));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Harness.PathOf("원본")), p => Path.GetFileName(p).StartsWith(Core.Storage.PathGuard.TemporaryPrefix, StringComparison.Ordinal));
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }

    private async Task<List<long>> IdsAsync()
    {
        var ids = new List<long>();
        for (var i = 1; i <= FileCount; i++)
        {
            ids.Add(await Harness.IdOfAsync($"원본/{i}.bin"));
        }

        return ids;
    }

    private async Task<long> RequestAsync(BatchRenameRule rule, List<long> ids)
    {
        await using var scope = Harness.CreateScope();
        var queued = await scope.ServiceProvider.GetRequiredService<BatchRenameOperations>().RequestBatchRenameAsync(
            Admin, await Harness.IdOfAsync("원본"), rule, ids, null, default);
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        return queued.Value;
    }

    /// <summary>Kills the runner <see cref="Kills"/> times, each a random moment after it has claimed (resumed) the job.</summary>
    private Task<Job> RunWithKillsAsync(long jobId)
    {
        var random = new Random(20261207);
        return RunWithKillsAsync(jobId, new KillPlan(Kills, MaxAttempts: Kills, MinKillsWhileRunning: 2)
        {
            Delay = _ => TimeSpan.FromMilliseconds(random.Next(50, 2000)),
        });
    }
}
