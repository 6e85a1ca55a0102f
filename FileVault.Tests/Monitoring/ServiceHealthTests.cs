using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Monitoring;

/// <summary>Service health with latency and the last error, and the queues per job kind, as admins see them.</summary>
public sealed class ServiceHealthTests : IAsyncLifetime
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private static readonly AccessSubject User = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() => _harness = await ScanHarness.CreateAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Each_service_and_root_has_a_state_and_latency_and_a_lost_mount_keeps_its_last_error_after_it_recovers()
    {
        var health = _harness.Get<ServiceHealth>();

        var first = (await health.CheckAsync(Admin, force: true, default)).Value;

        Assert.Equal(["postgres", "redis", $"root:{_harness.RootId}"], first.Select(s => s.Key));
        Assert.All(first, s => Assert.True(s.IsHealthy && s.LatencyMs >= 0 && s.LastError is null, s.Key));

        var marker = _harness.PathOf(StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        File.Delete(marker);
        var lost = (await health.CheckAsync(Admin, force: true, default)).Value.Single(s => s.Kind == "root");
        await File.WriteAllTextAsync(marker, content);
        var back = (await health.CheckAsync(Admin, force: true, default)).Value.Single(s => s.Kind == "root");

        Assert.False(lost.IsHealthy);
        Assert.Null(lost.LatencyMs);
        Assert.Contains(StorageRootRegistry.MarkerFileName, lost.Error, StringComparison.Ordinal);
        Assert.True(back.IsHealthy);
        Assert.Null(back.Error);
        Assert.Equal(lost.Error, back.LastError);
        Assert.Equal(lost.CheckedAt, back.LastErrorAt);
    }

    [Fact]
    public async Task Queues_count_per_kind_what_waits_runs_and_ended_in_the_last_day()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            var now = DateTimeOffset.UtcNow;
            Job Row(string type, JobStatus status, DateTimeOffset? finished = null) => new()
            {
                Type = type, Queue = type, Payload = "{}", OwnerId = Admin.UserId, Status = status, CreatedAt = now, FinishedAt = finished,
            };
            db.Jobs.AddRange(
                Row("copy", JobStatus.Queued), Row("copy", JobStatus.Queued), Row("copy", JobStatus.Running),
                Row("copy", JobStatus.Succeeded, now.AddHours(-1)), Row("copy", JobStatus.Failed, now.AddHours(-2)),
                Row("copy", JobStatus.Failed, now.AddHours(-30)), Row("dedup", JobStatus.Interrupted), Row("move", JobStatus.Succeeded, now.AddDays(-3)));
            await db.SaveChangesAsync();
        }

        var stats = _harness.Get<QueueStats>();
        var summary = (await stats.SummaryAsync(Admin, default)).Value;

        Assert.Equal([new QueueSummary("copy", "copy", 2, 1, 0, 1, 1), new QueueSummary("dedup", "dedup", 0, 0, 1, 0, 0)], summary);
        Assert.Equal("auth.forbidden", (await stats.SummaryAsync(User, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await _harness.Get<ServiceHealth>().CheckAsync(User, force: true, default)).Error?.Code);
    }
}
