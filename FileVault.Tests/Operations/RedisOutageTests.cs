using System.Diagnostics;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>
/// Redis is killed while a copy of 2,000 files runs (R-OP-5, R-DEG-1): the job stops at its next guard, interrupted,
/// with every file whole and no temporary left; browsing goes on and new writes fail fast with lock.unavailable; when
/// Redis is back the job takes its locks again, finishes, and the catalog agrees with the disk.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
public sealed class RedisOutageTests : IAsyncLifetime
{
    private const int FileCount = 2000;
    private readonly PrivateRedis _redis = new();
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;
    private Dictionary<string, string> _hashes = default!;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        _harness = await ScanHarness.CreateAsync(root =>
        {
            RandomTree.Write(root, "원본", FileCount, 48 * 1024, seed: 20261202);
            Directory.CreateDirectory(Path.Combine(root, "대상"));
        }, new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = _redis.ConnectionString });
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _hashes = HashTree("원본");
        _admin = await HarnessUsers.CreateAsync(_harness, "redis@t", Roles.Admin);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_copy_stops_whole_when_redis_dies_and_finishes_by_itself_once_redis_is_back()
    {
        var source = await _harness.IdOfAsync("원본");
        var destination = await _harness.IdOfAsync("대상");
        var jobId = await RequestCopyAsync(source, destination);
        var ledger = _harness.Get<JobLedger>();

        using var runner = JobRunnerProcess.Start(_harness, _redis.ConnectionString);
        await WaitUntilAsync(async () => await ledger.GetAsync(jobId, default) is { Status: JobStatus.Running, Progress: > 0 }, "the copy to make progress");
        await _redis.KillAsync();
        await WaitUntilAsync(async () => await ledger.GetAsync(jobId, default) is { Status: JobStatus.Interrupted }, "the copy to stop");

        var stopped = (await ledger.GetAsync(jobId, default))!;
        Assert.Contains("locks", stopped.Error, StringComparison.Ordinal);
        Assert.InRange(stopped.Progress, 0.0001, 0.9999);
        AssertEveryCopiedFileWhole();

        // Redis down: browsing still answers, a new write is refused at once with a clear code.
        await using (var scope = _harness.CreateScope())
        {
            var page = await scope.ServiceProvider.GetRequiredService<CatalogBrowser>().BrowseAsync(_admin, new BrowseQuery(source), default);
            Assert.True(page.IsSuccess, page.Error?.ToString());
            var clock = Stopwatch.StartNew();
            var refused = await scope.ServiceProvider.GetRequiredService<FileOperations>()
                .TransferAsync(_admin, TransferKind.Copy, [source], destination, ConflictChoice.KeepBoth, null, default);
            Assert.Equal("lock.unavailable", refused.Error?.Code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }

        // Redis back (empty, as after a crash): the same runner takes the locks again and finishes on its own.
        await _redis.StartAsync();
        await runner.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));

        var finished = (await ledger.GetAsync(jobId, default))!;
        Assert.True(finished.Status == JobStatus.Succeeded, $"{finished.Status}: {finished.Error}");
        Assert.Equal(_hashes.OrderBy(h => h.Key, StringComparer.Ordinal),
            HashTree("대상/원본").Select(h => KeyValuePair.Create(h.Key["대상/".Length..], h.Value)).OrderBy(h => h.Key, StringComparer.Ordinal));
        Assert.Equal(_hashes, HashTree("원본"));
        Assert.Empty(Directory.EnumerateFiles(_harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    // Every file the stopped copy left in the destination is a whole copy of its source, and no partial file remains.
    private void AssertEveryCopiedFileWhole()
    {
        Assert.Empty(Directory.EnumerateFiles(_harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories));
        Assert.Equal(_hashes, HashTree("원본"));
        var copied = Directory.Exists(_harness.PathOf("대상/원본")) ? HashTree("대상/원본") : [];
        Assert.InRange(copied.Count, 0, FileCount - 1);
        Assert.All(copied, c => Assert.Equal(_hashes[c.Key["대상/".Length..]], c.Value));
    }

    private async Task<long> RequestCopyAsync(long source, long destination)
    {
        await using var scope = _harness.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<FileOperations>()
            .TransferAsync(_admin, TransferKind.Copy, [source], destination, ConflictChoice.Ask, null, default);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting for {what}.");
            await Task.Delay(20);
        }
    }

    private Dictionary<string, string> HashTree(string relative) => RandomTree.Hashes(_harness.Root, relative);}
