using System.IO.Compression;
using System.Security.Cryptography;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
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
public sealed class CompressKillRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int FileCount = 1000;
    private const int Kills = 5;
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;
    private Dictionary<string, string> _hashes = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root => RandomTree.Write(root, "원본", FileCount, 128 * 1024, seed: 20261201));
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _hashes = RandomTree.Hashes(_harness.Root, "원본");
        Assert.Equal(FileCount, _hashes.Count);
        _admin = await HarnessUsers.CreateAsync(_harness, "kill-zip@t", Roles.Admin);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Compressing_1000_files_survives_sigkill_at_random_points()
    {
        long jobId;
        await using (var scope = _harness.CreateScope())
        await using (var db = _harness.Database.CreateDbContext())
        {
            var source = await db.Entries.Where(e => e.RootId == _harness.RootId && e.RelativePath == "원본").Select(e => e.Id).SingleAsync();
            var requested = await scope.ServiceProvider.GetRequiredService<CompressOperations>().CompressAsync(_admin, [source], null, ConflictChoice.Ask, null, default);
            Assert.True(requested.IsSuccess, requested.Error?.ToString());
            jobId = requested.Value;
        }

        var ledger = _harness.Get<JobLedger>();
        var random = new Random(7);
        var killedWhileRunning = 0;
        for (var attempt = 0; killedWhileRunning < Kills && attempt < 2 * Kills; attempt++)
        {
            using var child = JobRunnerProcess.Start(_harness);
            var attemptsBefore = (await ledger.GetAsync(jobId, default))!.Attempts;
            // Even attempts are killed soon after the claim; odd ones once the temporary archive has grown past a random size.
            var threshold = random.Next(1, 32) << 20;
            await UntilAsync(child, async () =>
                await ledger.GetAsync(jobId, default) is { Status: JobStatus.Running } job && job.Attempts > attemptsBefore
                && (attempt % 2 == 0 || Temporaries().Any(t => new FileInfo(t) is { Exists: true } file && file.Length >= threshold)));
            if (attempt % 2 == 0)
            {
                await Task.Delay(random.Next(0, 300));
            }

            if (child.HasExited)
            {
                Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode}; its log: {JobRunnerProcess.LogOf(child)}");
                break;
            }

            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            var state = (await ledger.GetAsync(jobId, default))!;
            output.WriteLine($"kill {attempt + 1}: job {state.Status}, progress {state.Progress:P0}, temporaries {Temporaries().Count}");
            if (state.Status == JobStatus.Running)
            {
                killedWhileRunning++;
            }

            if (File.Exists(_harness.PathOf("원본.zip")))
            {
                // Renamed into place: it must already be whole.
                AssertArchiveHoldsTheSources();
            }
        }

        using (var last = JobRunnerProcess.Start(_harness))
        {
            await last.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(last.ExitCode == 0, $"exit code {last.ExitCode}; its log: {JobRunnerProcess.LogOf(last)}");
        }

        var finished = (await ledger.GetAsync(jobId, default))!;
        Assert.True(finished.Status == JobStatus.Succeeded, finished.Error);
        Assert.True(killedWhileRunning >= 3, $"only {killedWhileRunning} kills landed while the job ran");
        AssertArchiveHoldsTheSources();
        Assert.Empty(Temporaries());
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(finished.ResultEntryId, catalog["원본.zip"].Id);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(_harness.PathOf("원본.zip"))), catalog["원본.zip"].ContentHash);
        await _harness.AssertCatalogMatchesDiskAsync();
        var rescan = await _harness.ScanAsync(ScanKind.Full);
        Assert.Equal((0, 0, 0), (rescan.Added, rescan.Missing, rescan.Updated));
        await using var audit = _harness.Database.CreateDbContext();
        Assert.Equal(1, await audit.AuditLog.CountAsync(a => a.Action == "entry.compress"));
    }

    private void AssertArchiveHoldsTheSources()
    {
        using var zip = ZipFile.OpenRead(_harness.PathOf("원본.zip"));
        var files = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            return Convert.ToHexString(SHA256.HashData(stream));
        }, StringComparer.Ordinal);
        Assert.Equal(_hashes.OrderBy(h => h.Key, StringComparer.Ordinal), files.OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(21, zip.Entries.Count(e => e.FullName.EndsWith('/')));
    }

    private List<string> Temporaries() => Directory.EnumerateFiles(_harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories).ToList();

    /// <summary>Polls <paramref name="condition"/> until it holds, the child exits, or a minute passes.</summary>
    private static async Task UntilAsync(System.Diagnostics.Process child, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!child.HasExited && DateTime.UtcNow < deadline && !await condition())
        {
            await Task.Delay(10);
        }
    }
}
