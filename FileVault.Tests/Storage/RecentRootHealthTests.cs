using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace FileVault.Tests.Storage;

/// <summary>Read paths remember a healthy mount for a second; a broken one is never remembered.</summary>
public sealed class RecentRootHealthTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() => _harness = await ScanHarness.CreateAsync();

    [Fact]
    public async Task A_healthy_answer_lasts_a_second_and_a_broken_mount_is_reported_on_every_check_after_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var health = new RecentRootHealth(time);
        StorageRoot root;
        await using (var db = _harness.Database.CreateDbContext())
        {
            root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == _harness.RootId);
        }

        var marker = _harness.PathOf(StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        Assert.True((await health.CheckAsync(root, MountHealth.DefaultTimeout, CancellationToken.None)).IsHealthy);

        File.Delete(marker);
        var withinTheSecond = await health.CheckAsync(root, MountHealth.DefaultTimeout, CancellationToken.None);
        time.Advance(RecentRootHealth.Remembered);
        var after = await health.CheckAsync(root, MountHealth.DefaultTimeout, CancellationToken.None);
        var again = await health.CheckAsync(root, MountHealth.DefaultTimeout, CancellationToken.None);
        await File.WriteAllTextAsync(marker, content);
        var repaired = await health.CheckAsync(root, MountHealth.DefaultTimeout, CancellationToken.None);

        Assert.True(withinTheSecond.IsHealthy);
        Assert.Equal("root.marker_missing", after.Problem?.Code);
        Assert.Equal("root.marker_missing", again.Problem?.Code);
        Assert.True(repaired.IsHealthy);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();
}
