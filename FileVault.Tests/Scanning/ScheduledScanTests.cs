using FileVault.Core.Locks;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace FileVault.Tests.Scanning;

public sealed class ScheduledScanTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() => _harness = await ScanHarness.CreateAsync(root => File.WriteAllText(Path.Combine(root, "a.txt"), "a"));

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task The_scheduled_scan_runs_every_root_when_no_other_instance_holds_the_lease()
    {
        await ReleaseScheduleLeaseAsync();

        await _harness.Get<FullScanSchedule>().Invoke();

        await using var db = _harness.Database.CreateDbContext();
        var run = await db.ScanRuns.SingleAsync(r => r.RootId == _harness.RootId);
        Assert.Equal(("schedule", ScanStatus.Completed), (run.TriggeredBy, run.Status));
    }

    [Fact]
    public async Task The_scheduled_scan_is_skipped_while_another_instance_holds_the_lease()
    {
        await ReleaseScheduleLeaseAsync();
        var redis = _harness.Get<IConnectionMultiplexer>();
        await using (var otherInstance = await RedisLease.TryAcquireAsync(redis, _harness.Get<RedisKeys>().For("schedule:scan:Full"), TimeSpan.FromSeconds(30)))
        {
            Assert.NotNull(otherInstance);

            await _harness.Get<FullScanSchedule>().Invoke();
        }

        await using var db = _harness.Database.CreateDbContext();
        Assert.False(await db.ScanRuns.AnyAsync(r => r.RootId == _harness.RootId));
    }

    // Lease keys are scoped to the catalog database, so a lease of another test class can never be in the way.
    private async Task ReleaseScheduleLeaseAsync() =>
        Assert.False(await _harness.Get<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync(_harness.Get<RedisKeys>().For("schedule:scan:Full")));
}
