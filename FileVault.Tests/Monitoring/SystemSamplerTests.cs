using FileVault.Core.Access;
using FileVault.Core.Cleanup;
using FileVault.Core.Monitoring;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Monitoring;

/// <summary>The live sampler runs only while someone subscribes; the history keeps samples in PostgreSQL for its retention.</summary>
public sealed class SystemSamplerTests : IAsyncLifetime
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private static readonly AccessSubject User = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() =>
        _harness = await ScanHarness.CreateAsync(settings: new Dictionary<string, string?> { ["FileVault:Monitoring:LiveInterval"] = "00:00:00.200" });

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Sampling_runs_while_a_page_subscribes_and_stops_when_the_last_one_leaves()
    {
        var sampler = _harness.Get<SystemSampler>();
        var first = new List<SystemSample>();
        var second = new List<SystemSample>();
        Assert.False(sampler.IsRunning);

        var a = sampler.Subscribe(Admin, s => { lock (first) { first.Add(s); } }).Value;
        var b = sampler.Subscribe(Admin, s => { lock (second) { second.Add(s); } }).Value;
        await Poll.UntilAsync(() => Task.FromResult(Count(first) >= 2 && Count(second) >= 2), "two samples for each page");

        a.Dispose();
        Assert.True(sampler.IsRunning);
        b.Dispose();
        Assert.False(sampler.IsRunning);
        Assert.Equal(0, sampler.SubscriberCount);

        var sample = sampler.Latest!;
        Assert.InRange(sample.CpuPercent, 0, 100);
        Assert.Equal(Environment.ProcessorCount, sample.CorePercents.Count);
        Assert.True(sample.Memory.Total > 0 && sample.Load.Processes > 0);
        Assert.Contains(sample.Disks, d => d.Path == _harness.Root && d.TotalBytes > 0);
        // PostgreSQL and Redis run on this host in the tests: their data directories' file systems are shown too.
        Assert.Contains(sample.Disks, d => d.Label == "PostgreSQL" && d.TotalBytes > 0);
        Assert.Contains(sample.Disks, d => d.Label == "Redis" && d.TotalBytes > 0);
        Assert.NotEmpty(sample.TopByMemory);
        Assert.True(sample.TopByMemory[0].ResidentBytes >= sample.TopByMemory[^1].ResidentBytes);
    }

    [Fact]
    public void A_user_cannot_subscribe()
    {
        var sampler = _harness.Get<SystemSampler>();

        Assert.Equal("auth.forbidden", sampler.Subscribe(User, _ => { }).Error?.Code);
        Assert.False(sampler.IsRunning);
    }

    [Fact]
    public async Task The_history_keeps_samples_for_its_retention_and_answers_admins_only()
    {
        var history = _harness.Get<MetricsHistory>();
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.MetricSamples.Add(new MetricSample { Host = Environment.MachineName, At = DateTimeOffset.UtcNow.AddHours(-25), CpuPercent = 50, MemoryTotal = 100, MemoryUsed = 50 });
            await db.SaveChangesAsync();
        }

        await history.RecordAsync(default);
        await history.RecordAsync(default);
        var swept = await _harness.Get<CleanupRuns>().RunAsync(_harness.Get<MetricsRetentionSweep>(), default);

        Assert.Equal(1, swept?.Removed);
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.Equal(2, await db.MetricSamples.CountAsync());
        }

        var points = await history.RangeAsync(Admin, Environment.MachineName, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), default);
        // Two samples taken together: one point, or two when a minute boundary fell between them.
        Assert.InRange(points.Value.Count, 1, 2);
        Assert.InRange(points.Value[0].MemoryPercent, 0.1, 100);
        Assert.Equal("auth.forbidden", (await history.RangeAsync(User, Environment.MachineName, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow, default)).Error?.Code);
    }

    [Fact]
    public async Task Every_instance_that_kept_a_sample_is_listed_with_its_newest_figures_and_its_own_history()
    {
        var history = _harness.Get<MetricsHistory>();
        var now = DateTimeOffset.UtcNow;
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.MetricSamples.AddRange(
                new MetricSample { Host = "instance-b", At = now.AddMinutes(-3), CpuPercent = 10, MemoryTotal = 100, MemoryUsed = 10, Load1 = 0.5 },
                new MetricSample { Host = "instance-b", At = now.AddMinutes(-2), CpuPercent = 30, MemoryTotal = 100, MemoryUsed = 40, Load1 = 1.5 },
                new MetricSample { Host = "instance-gone", At = now.AddHours(-30), CpuPercent = 90, MemoryTotal = 100, MemoryUsed = 90 });
            await db.SaveChangesAsync();
        }

        await history.RecordAsync(default);
        var hosts = (await history.HostsAsync(Admin, default)).Value;

        var b = Assert.Single(hosts, h => h.Host == "instance-b");
        Assert.Equal((30.0, 40.0, 1.5), (b.CpuPercent, b.MemoryPercent, b.Load1));
        Assert.Equal(now.AddMinutes(-2).ToUnixTimeSeconds(), b.LastSampleAt.ToUnixTimeSeconds());
        Assert.Contains(hosts, h => h.Host == Environment.MachineName);
        Assert.DoesNotContain(hosts, h => h.Host == "instance-gone");
        var points = (await history.RangeAsync(Admin, "instance-b", now.AddHours(-1), now, default)).Value;
        Assert.Equal(20.0, points.Average(p => p.CpuPercent), 6);
        Assert.Equal("auth.forbidden", (await history.HostsAsync(User, default)).Error?.Code);
    }

    private static int Count(List<SystemSample> samples)
    {
        lock (samples)
        {
            return samples.Count;
        }
    }
}
