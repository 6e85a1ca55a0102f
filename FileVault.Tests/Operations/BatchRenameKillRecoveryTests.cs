using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// Batch rename under fire: the job runner process (`FileVault.Web jobs --until-idle`) is SIGKILLed at random points
/// while it renumbers 400 files in reverse (1 ↔ 400, 2 ↔ 399, …), so every pair goes through a temporary name, and is
/// started again until the job ends. Then every file holds its own bytes under its new name, renamed exactly once (one
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
    public async Task Renumbering_400_files_in_reverse_survives_sigkill_at_random_points()
    {
        var ids = new List<long>();
        for (var i = 1; i <= FileCount; i++)
        {
            ids.Add(await Harness.IdOfAsync($"원본/{i}.bin"));
        }

        long jobId;
        await using (var scope = Harness.CreateScope())
        {
            var queued = await scope.ServiceProvider.GetRequiredService<BatchRenameOperations>().RequestBatchRenameAsync(
                Admin, await Harness.IdOfAsync("원본"), BatchRenamePlannerTests.Renumber(start: FileCount, step: -1), ids, null, default);
            Assert.True(queued.IsSuccess, queued.Error?.ToString());
            jobId = queued.Value;
        }

        var random = new Random(20261207);
        var finished = await RunWithKillsAsync(jobId, new KillPlan(Kills, MaxAttempts: Kills, MinKillsWhileRunning: 2)
        {
            Delay = _ => TimeSpan.FromMilliseconds(random.Next(50, 2000)),
        });

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        Assert.Equal((FileCount, 0), BatchRenameOperations.SummaryOf(finished) is { } s ? (s.Renamed, s.Failed.Count) : (-1, -1));
        var after = RandomTree.Hashes(Harness.Root, "원본");
        Assert.Equal(FileCount, after.Count);
        for (var i = 1; i <= FileCount; i++)
        {
            // Renamed once: i.bin now sits at (401 - i).bin; renamed twice it would be back at i.bin.
            Assert.Equal(Hashes[Path.Join("원본", $"{i}.bin")], after[Path.Join("원본", $"{FileCount + 1 - i}.bin")]);
        }

        var catalog = await Harness.CatalogAsync();
        Assert.Equal(ids[0], catalog[$"원본/{FileCount}.bin"].Id);
        Assert.Equal(ids[FileCount - 1], catalog["원본/1.bin"].Id);
        await using var db = Harness.Database.CreateDbContext();
        Assert.Equal(FileCount, await db.AuditLog.CountAsync(a => a.Action == "entry.rename"));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Harness.PathOf("원본")), p => Path.GetFileName(p).StartsWith(Core.Storage.PathGuard.TemporaryPrefix, StringComparison.Ordinal));
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }
}
