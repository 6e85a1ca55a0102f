using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Cleanup;
using FileVault.Core.Jobs;
using FileVault.Core.Media;
using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace FileVault.Tests.Cleanup;

/// <summary>
/// Each cleanup sweep against real PostgreSQL, Redis and disk: what is past its retention goes, what is not stays, each
/// run is recorded with what it removed, and a sweep another instance holds is not run twice.
/// </summary>
public sealed class CleanupSweepTests : IAsyncLifetime
{
    private readonly string _thumbnails = Path.Combine(Path.GetTempPath(), "fv-cleanup-thumbs-" + Guid.NewGuid().ToString("N"));
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(
            root => File.WriteAllText(Path.Combine(root, "photo.jpg"), "x"),
            new Dictionary<string, string?> { ["FileVault:Media:ThumbnailDirectory"] = _thumbnails });
        _admin = await HarnessUsers.CreateAsync(_harness, "boss@cleanup.test", Roles.Admin);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        if (Directory.Exists(_thumbnails))
        {
            Directory.Delete(_thumbnails, recursive: true);
        }
    }

    [Fact]
    public async Task Old_finished_jobs_go_while_recent_unfinished_and_trash_backing_jobs_stay()
    {
        var now = DateTimeOffset.UtcNow;
        long oldDone, recentDone, oldQueued, oldInterrupted, oldBacksTrash;
        await using (var db = _harness.Database.CreateDbContext())
        {
            Job Make(JobStatus status, DateTimeOffset? finished) => new()
            {
                Type = "move", Queue = "operations", Payload = "{}", OwnerId = _admin.UserId, Status = status, CreatedAt = now.AddDays(-60), FinishedAt = finished,
            };
            var jobs = new[]
            {
                Make(JobStatus.Succeeded, now.AddDays(-40)), Make(JobStatus.Failed, now.AddDays(-1)), Make(JobStatus.Queued, null),
                Make(JobStatus.Interrupted, null), Make(JobStatus.Succeeded, now.AddDays(-40)),
            };
            db.Jobs.AddRange(jobs);
            await db.SaveChangesAsync();
            (oldDone, recentDone, oldQueued, oldInterrupted, oldBacksTrash) = (jobs[0].Id, jobs[1].Id, jobs[2].Id, jobs[3].Id, jobs[4].Id);
            var entry = await db.Entries.FirstAsync(e => e.RootId == _harness.RootId && e.Name == "photo.jpg");
            db.TrashItems.Add(new TrashItem
            {
                RootId = _harness.RootId, EntryId = entry.Id, OriginalPath = "photo.jpg", Name = "photo.jpg", Kind = EntryKind.File,
                DeletedById = _admin.UserId, DeletedAt = now.AddDays(-40), JobId = oldBacksTrash, State = TrashItemState.InTrash,
            });
            await db.SaveChangesAsync();
        }

        var run = await RunAsync<JobRetentionSweep>();

        Assert.Equal(1, run.Removed);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var left = await db.Jobs.Select(j => j.Id).ToListAsync();
            Assert.DoesNotContain(oldDone, left);
            Assert.Contains(recentDone, left);
            Assert.Contains(oldQueued, left);
            Assert.Contains(oldInterrupted, left);
            Assert.Contains(oldBacksTrash, left);
        }
    }

    [Fact]
    public async Task Audit_rows_past_the_retention_go_and_newer_ones_stay()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.AuditLog.AddRange(
                new AuditRecord { At = DateTimeOffset.UtcNow.AddDays(-400), Action = "old.action", Target = "x" },
                new AuditRecord { At = DateTimeOffset.UtcNow.AddDays(-300), Action = "recent.action", Target = "x" });
            await db.SaveChangesAsync();
        }

        var run = await RunAsync<AuditRetentionSweep>();

        Assert.Equal(1, run.Removed);
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.False(await db.AuditLog.AnyAsync(a => a.Action == "old.action"));
            Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "recent.action"));
        }
    }

    [Fact]
    public async Task System_history_past_its_retention_goes_and_the_last_day_stays()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.MetricSamples.AddRange(
                new MetricSample { Host = "h", At = DateTimeOffset.UtcNow.AddHours(-25), MemoryTotal = 1 },
                new MetricSample { Host = "h", At = DateTimeOffset.UtcNow.AddHours(-23), MemoryTotal = 1 });
            await db.SaveChangesAsync();
        }

        var run = await RunAsync<MetricsRetentionSweep>();

        Assert.Equal(1, run.Removed);
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.Equal(1, await db.MetricSamples.CountAsync());
        }
    }

    [Fact]
    public async Task Old_statistics_go_except_each_roots_newest_and_old_cleanup_records_go()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync($"""
                DELETE FROM storage_statistics;
                INSERT INTO storage_statistics (root_id, computed_at, files, folders, bytes, details) VALUES
                    ({_harness.RootId}, now() - interval '400 days', 1, 0, 400, jsonb_build_object()),
                    ({_harness.RootId}, now() - interval '390 days', 1, 0, 390, jsonb_build_object());
                INSERT INTO cleanup_runs (sweep, host, started_at, finished_at, removed) VALUES
                    ('audit', 'h', now() - interval '40 days', now() - interval '40 days', 5),
                    ('audit', 'h', now() - interval '1 day', now() - interval '1 day', 6);
                """);
        }

        var first = await RunAsync<HistoryRetentionSweep>();

        Assert.Equal(2, first.Removed);
        Assert.Equal([390L], await StatisticsBytesAsync());
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlAsync($"INSERT INTO storage_statistics (root_id, computed_at, files, folders, bytes, details) VALUES ({_harness.RootId}, now(), 1, 0, 1, jsonb_build_object())");
        }

        var second = await RunAsync<HistoryRetentionSweep>();

        Assert.Equal(1, second.Removed);
        Assert.Equal([1L], await StatisticsBytesAsync());
    }

    [Fact]
    public async Task Thumbnails_of_entries_the_catalog_no_longer_holds_go_and_the_others_stay()
    {
        long photo;
        await using (var db = _harness.Database.CreateDbContext())
        {
            photo = await db.Entries.Where(e => e.RootId == _harness.RootId && e.Name == "photo.jpg").Select(e => e.Id).SingleAsync();
        }

        var live = ThumbnailFolderOf(photo);
        var orphan = ThumbnailFolderOf(987_654_321);

        var run = await RunAsync<ThumbnailFolderSweep>();

        Assert.Equal((1L, (long?)1), (run.Removed, run.Kept));
        Assert.True(File.Exists(Path.Combine(live, "thumb")));
        Assert.False(Directory.Exists(orphan));
    }

    [Fact]
    public async Task A_sweep_another_instance_holds_is_not_run_and_not_recorded()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.AuditLog.Add(new AuditRecord { At = DateTimeOffset.UtcNow.AddDays(-400), Action = "held.action", Target = "x" });
            await db.SaveChangesAsync();
        }

        var runs = _harness.Get<CleanupRuns>();
        var redis = _harness.Get<IConnectionMultiplexer>().GetDatabase();
        var key = runs.LeaseKey("audit");
        Assert.True(await redis.StringSetAsync(key, "other-instance", TimeSpan.FromMinutes(1), When.NotExists));
        try
        {
            Assert.Null(await runs.RunAsync(_harness.Get<AuditRetentionSweep>(), default));
        }
        finally
        {
            await redis.KeyDeleteAsync(key);
        }

        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "held.action"));
        }

        Assert.DoesNotContain((await runs.SummaryAsync(_admin, default)).Value, s => s.Last.Sweep == "audit");
    }

    [Fact]
    public async Task The_summary_shows_each_sweeps_last_run_to_admins_and_refuses_users()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.AuditLog.Add(new AuditRecord { At = DateTimeOffset.UtcNow.AddDays(-400), Action = "old.action", Target = "x" });
            await db.SaveChangesAsync();
        }

        await RunAsync<AuditRetentionSweep>();
        await RunAsync<AuditRetentionSweep>();
        await RunAsync<MetricsRetentionSweep>();
        var user = await HarnessUsers.CreateAsync(_harness, "plain@cleanup.test", Roles.User);

        var summary = (await _harness.Get<CleanupRuns>().SummaryAsync(_admin, default)).Value;

        var audit = Assert.Single(summary, s => s.Last.Sweep == "audit");
        Assert.Equal((0L, 1L, Environment.MachineName), (audit.Last.Removed, audit.Removed24h, audit.Last.Host));
        Assert.Contains(summary, s => s.Last.Sweep == "metrics");
        Assert.Equal("auth.forbidden", (await _harness.Get<CleanupRuns>().SummaryAsync(user, default)).Error?.Code);
    }

    private async Task<CleanupRun> RunAsync<TSweep>() where TSweep : ICleanupSweep
    {
        var run = await _harness.Get<CleanupRuns>().RunAsync(_harness.Get<TSweep>(), default);
        Assert.NotNull(run);
        Assert.Null(run.Error);
        return run;
    }

    private string ThumbnailFolderOf(long entryId)
    {
        var folder = Path.Combine(_thumbnails, (entryId % 1000).ToString("D3", System.Globalization.CultureInfo.InvariantCulture), entryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "thumb"), "webp");
        return folder;
    }

    private async Task<List<long>> StatisticsBytesAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Database.SqlQueryRaw<long>("SELECT bytes AS \"Value\" FROM storage_statistics ORDER BY computed_at").ToListAsync();
    }
}
