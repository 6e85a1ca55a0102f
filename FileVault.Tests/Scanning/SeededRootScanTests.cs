using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Scanning;

/// <summary>The app as scripts/run.sh starts it: a sample root seeded at start-up, on an instance allowed to scan.</summary>
public sealed class SampleSeedingAppFactory : FileVaultAppFactory
{
    public SampleSeedingAppFactory()
    {
        Settings["FileVault:Seed:StorageRoot"] = "";
        Settings["FileVault:Seed:SampleRoot"] = SampleDirectory;
        Settings["FileVault:Scanner:SchedulesEnabled"] = "true";
        // Scanning on its own is what is under test, but not the schedules: keep them from firing during the run.
        Settings["FileVault:Scanner:IncrementalCron"] = "0 0 1 1 *";
        Settings["FileVault:Scanner:FullCron"] = "0 0 1 1 *";
        Settings["FileVault:Scanner:HealthCron"] = "0 0 1 1 *";
    }

    public string SampleDirectory => Path.Combine(StorageDirectory, "sample");
}

public sealed class SeededRootScanTests(SampleSeedingAppFactory app) : IClassFixture<SampleSeedingAppFactory>
{
    [Fact]
    public async Task A_sample_root_seeded_at_start_up_is_checked_and_scanned_without_anyone_pressing_scan()
    {
        _ = app.Services;
        await app.WaitUntilReadyAsync();

        await using var db = app.Database.CreateDbContext();
        var root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Name == "Sample");
        var files = Directory.GetFiles(app.SampleDirectory, "*", SearchOption.AllDirectories).Length;
        await Poll.UntilAsync(async () =>
        {
            await using var poll = app.Database.CreateDbContext();
            return await poll.ScanRuns.AnyAsync(r => r.RootId == root.Id && r.Status == ScanStatus.Completed);
        }, "the seeded root's first scan to complete");

        await using var after = app.Database.CreateDbContext();
        var checkedRoot = await after.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == root.Id);
        Assert.Equal(RootHealth.Healthy, checkedRoot.Health);
        Assert.NotNull(checkedRoot.LastCompletedScanId);
        var run = await after.ScanRuns.AsNoTracking().SingleAsync(r => r.RootId == root.Id);
        Assert.Equal(ScanKind.Full, run.Kind);
        // Every sample file but FileVault's own marker is in the catalog.
        Assert.True(await after.Entries.CountAsync(e => e.RootId == root.Id && e.Kind == Core.Catalog.EntryKind.File) >= files - 1);
    }
}
