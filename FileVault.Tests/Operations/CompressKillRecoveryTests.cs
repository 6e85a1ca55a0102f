using System.IO.Compression;
using System.Security.Cryptography;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FileVault.Tests.Operations;

/// <summary>
/// Compress under fire: the job runner process (`FileVault.Web jobs --until-idle`) is SIGKILLed again and again while it
/// zips 1,000 files (about 64 MB) — soon after it claims the job, or once its temporary archive has grown past a random
/// size. Whenever the final name exists it holds the whole archive; at the end the archive is complete and correct, no
/// temporary file is left, and the catalog agrees with the disk.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
public sealed class CompressKillRecoveryTests(ITestOutputHelper output) : KillScenario(output)
{
    private const int Kills = 5;

    protected override int FileCount => 1000;

    protected override string AdminEmail => "kill-zip@t";

    protected override void WriteTree(string root) => RandomTree.Write(root, "원본", FileCount, 128 * 1024, seed: 20261201);

    [Fact]
    public async Task Compressing_1000_files_survives_sigkill_at_random_points()
    {
        long jobId;
        await using (var scope = Harness.CreateScope())
        await using (var db = Harness.Database.CreateDbContext())
        {
            var source = await db.Entries.Where(e => e.RootId == Harness.RootId && e.RelativePath == "원본").Select(e => e.Id).SingleAsync();
            var requested = await scope.ServiceProvider.GetRequiredService<CompressOperations>().CompressAsync(Admin, [source], null, ConflictChoice.Ask, null, default);
            Assert.True(requested.IsSuccess, requested.Error?.ToString());
            jobId = requested.Value;
        }

        var random = new Random(7);
        var thresholds = Enumerable.Range(0, 2 * Kills).Select(_ => random.Next(1, 32) << 20).ToArray();
        // Even attempts are killed soon after the claim; odd ones once the temporary archive has grown past a random size.
        var finished = await RunWithKillsAsync(jobId, new KillPlan(Kills, MaxAttempts: 2 * Kills, MinKillsWhileRunning: 3)
        {
            Ready = attempt => attempt % 2 == 0 || Temporaries().Any(t => new FileInfo(t) is { Exists: true } file && file.Length >= thresholds[attempt]),
            Delay = attempt => TimeSpan.FromMilliseconds(attempt % 2 == 0 ? random.Next(0, 300) : 0),
            AfterKill = () =>
            {
                if (File.Exists(Harness.PathOf("원본.zip")))
                {
                    // Renamed into place: it must already be whole.
                    AssertArchiveHoldsTheSources();
                }
            },
        });

        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        AssertArchiveHoldsTheSources();
        var catalog = await Harness.CatalogAsync();
        Assert.Equal(finished.ResultEntryId, catalog["원본.zip"].Id);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(Harness.PathOf("원본.zip"))), catalog["원본.zip"].ContentHash);
        await AssertNoTemporariesAndCatalogAgreesAsync();
        await using var audit = Harness.Database.CreateDbContext();
        Assert.Equal(1, await audit.AuditLog.CountAsync(a => a.Action == "entry.compress"));
    }

    private void AssertArchiveHoldsTheSources()
    {
        using var zip = ZipFile.OpenRead(Harness.PathOf("원본.zip"));
        var files = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            return Convert.ToHexString(SHA256.HashData(stream));
        }, StringComparer.Ordinal);
        Assert.Equal(Hashes.OrderBy(h => h.Key, StringComparer.Ordinal), files.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(21, zip.Entries.Count(e => e.FullName.EndsWith('/')));
    }
}
