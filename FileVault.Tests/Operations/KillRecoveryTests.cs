using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// A job survives its process dying at any moment: a child process running the job runner (`FileVault.Web jobs --until-idle`) is killed
/// with SIGKILL at random points while it moves and copies 2,000 files, and started again until the job ends. Then
/// every file's SHA-256 matches what it was, every file is at exactly one place (no half-written file under any name),
/// and the catalog agrees with the disk.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
public sealed class KillRecoveryTests(ITestOutputHelper output) : KillScenario(output)
{
    private const int Kills = 6;

    protected override int FileCount => 2000;

    protected override string AdminEmail => "kill@t";

    protected override void WriteTree(string root)
    {
        RandomTree.Write(root, "원본", FileCount, 48 * 1024, seed: 20261125);
        Directory.CreateDirectory(Path.Combine(root, "대상"));
    }

    [Fact]
    public async Task Moving_2000_selected_files_survives_sigkill_at_random_points()
    {
        await using var db = Harness.Database.CreateDbContext();
        var files = await db.Entries.Where(e => e.RootId == Harness.RootId && e.Kind == EntryKind.File && e.RelativePath.StartsWith("원본/"))
            .Select(e => e.Id).ToListAsync();
        var target = await Harness.IdOfAsync("대상");

        var job = await RequestAsync(ops => ops.TransferAsync(Admin, TransferKind.Move, files, target, ConflictChoice.KeepBoth, null, default));
        var finished = await RunWithKillsAsync(job);

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        var moved = HashTree("대상");
        Assert.Equal(FileCount, moved.Count);
        // Every file once, whole, under its own name: the names are unique, so the flat target holds them by name.
        Assert.Equal(Hashes.ToDictionary(h => Path.GetFileName(h.Key), h => h.Value).OrderBy(h => h.Key, StringComparer.Ordinal),
            moved.ToDictionary(h => Path.GetFileName(h.Key), h => h.Value).OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(Harness.PathOf("원본"), "*", SearchOption.AllDirectories));
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }

    [Fact]
    public async Task Copying_a_2000_file_folder_survives_sigkill_at_random_points()
    {
        var job = await RequestAsync(async ops => await ops.TransferAsync(Admin, TransferKind.Copy, [await Harness.IdOfAsync("원본")], await Harness.IdOfAsync("대상"), ConflictChoice.Ask, null, default));
        var finished = await RunWithKillsAsync(job);

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        Assert.Equal(Hashes, HashTree("원본"));
        Assert.Equal(Hashes.OrderBy(h => h.Key, StringComparer.Ordinal),
            HashTree("대상/원본").Select(h => KeyValuePair.Create(h.Key["대상/".Length..], h.Value)).OrderBy(h => h.Key, StringComparer.Ordinal));
        await AssertNoTemporariesAndCatalogAgreesAsync();
    }

    /// <summary>Kills the runner <see cref="Kills"/> times, each a random moment after it has claimed (resumed) the job.</summary>
    private Task<Job> RunWithKillsAsync(long jobId)
    {
        var random = new Random(jobId.GetHashCode());
        return RunWithKillsAsync(jobId, new KillPlan(Kills, MaxAttempts: Kills, MinKillsWhileRunning: 2)
        {
            Delay = _ => TimeSpan.FromMilliseconds(random.Next(50, 700)),
        });
    }

    private Dictionary<string, string> HashTree(string relative) => RandomTree.Hashes(Harness.Root, relative);

    private async Task<long> RequestAsync(Func<FileOperations, Task<FileVault.Core.Result<long>>> request)
    {
        await using var scope = Harness.CreateScope();
        var result = await request(scope.ServiceProvider.GetRequiredService<FileOperations>());
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }
}
