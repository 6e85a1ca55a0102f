using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Cleanup;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Media;
using FileVault.Core.Monitoring;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Media;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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
            root =>
            {
                File.WriteAllText(Path.Combine(root, "photo.jpg"), "x");
                File.WriteAllText(Path.Combine(root, "gone.jpg"), "gone");
            },
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
    public async Task The_thumbnail_sweep_removes_orphans_vanished_entries_and_old_versions_and_records_what_it_removed()
    {
        var photo = await EntryAsync("photo.jpg");
        var gone = await EntryAsync("gone.jpg");
        var thumbnails = _harness.Get<ThumbnailFolder>();
        var current = KeyOf(photo.Id, photo.Size, photo.ModifiedAt);
        // Of another size: writing a version deletes the older ones of its size, so only an unwritten size can hold a stale one.
        var oldVersion = KeyOf(photo.Id, photo.Size + 1, photo.ModifiedAt.AddMinutes(-5)) with { Size = ThumbnailSize.Medium };
        var vanished = KeyOf(gone.Id, gone.Size, gone.ModifiedAt);
        var orphan = KeyOf(987_654_321, 10, photo.ModifiedAt);
        foreach (var key in new[] { oldVersion, current, vanished, orphan })
        {
            await thumbnails.WriteAsync(key, [1, 2, 3], default);
        }

        File.WriteAllText(Path.Combine(_thumbnails, "321", "987654321", "not-a-thumbnail"), "?");
        // The scan found gone.jpg missing from the disk.
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.Id == gone.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EntryState.Missing));
        }

        var run = await RunAsync<ThumbnailFolderSweep>();

        Assert.Equal((4L, (long?)1), (run.Removed, run.Kept));
        Assert.NotNull(await thumbnails.ReadAsync(current, default));
        Assert.Null(await thumbnails.ReadAsync(oldVersion, default));
        Assert.Null(await thumbnails.ReadAsync(vanished, default));
        Assert.False(Directory.Exists(Path.Combine(_thumbnails, "321", "987654321")));
        var recorded = Assert.Single((await _harness.Get<CleanupRuns>().SummaryAsync(_admin, default)).Value, s => s.Last.Sweep == "thumbnails");
        Assert.Equal(4L, recorded.Removed24h);
    }

    [Fact]
    public async Task A_bounded_thumbnail_sweep_goes_on_where_the_last_run_stopped_whichever_instance_runs_it()
    {
        // Three orphans in three buckets; each run, as a fresh instance would make it, may look at one entry folder.
        var orphans = new long[] { 900_500, 900_501, 900_502 };
        foreach (var id in orphans)
        {
            await _harness.Get<ThumbnailFolder>().WriteAsync(KeyOf(id, 1, DateTimeOffset.UtcNow), [1], default);
        }

        var removed = new List<long>();
        for (var i = 0; i < orphans.Length; i++)
        {
            removed.Add((await _harness.Get<CleanupRuns>().RunAsync(SweepOnANewInstance(entriesPerRun: 1), default))!.Removed);
        }

        Assert.Equal([1L, 1L, 1L], removed);
        Assert.Empty(Directory.EnumerateFiles(_thumbnails, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_sweep_occurrence_runs_on_one_instance_only_and_the_next_occurrence_runs_again()
    {
        var at = new DateTimeOffset(2026, 12, 7, 3, 30, 0, TimeSpan.Zero);
        CleanupRuns Instance(DateTimeOffset now)
        {
            var time = new FixedTime(now);
            return new CleanupRuns(_harness.Get<Npgsql.NpgsqlDataSource>(), _harness.Get<IConnectionMultiplexer>(), _harness.Get<RedisKeys>(),
                new ScheduleOccurrences(_harness.Get<IConnectionMultiplexer>(), _harness.Get<RedisKeys>(), time), time, new CountingLogger<CleanupRuns>());
        }

        var first = await Instance(at.AddSeconds(1)).RunOnceAsync(_harness.Get<ThumbnailFolderSweep>(), default);
        var second = await Instance(at.AddSeconds(2)).RunOnceAsync(_harness.Get<ThumbnailFolderSweep>(), default);
        var next = await Instance(at.AddHours(1)).RunOnceAsync(_harness.Get<ThumbnailFolderSweep>(), default);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task With_redis_down_the_thumbnail_sweep_is_skipped_and_recorded_and_deletes_nothing()
    {
        var orphan = KeyOf(987_654_321, 10, DateTimeOffset.UtcNow);
        await _harness.Get<ThumbnailFolder>().WriteAsync(orphan, [1], default);
        await using var down = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{TestEnvironment.FreeLoopbackPort()},abortConnect=false,connectTimeout=500");
        var keys = _harness.Get<RedisKeys>();
        var runs = new CleanupRuns(_harness.Get<Npgsql.NpgsqlDataSource>(), down, keys, new ScheduleOccurrences(down, keys, TimeProvider.System), TimeProvider.System,
            new CountingLogger<CleanupRuns>());
        var sweep = new ThumbnailFolderSweep(_harness.Get<ThumbnailFolder>(), runs, down, keys, _harness.Get<IOptions<MediaOptions>>());

        var run = await runs.RunOnceAsync(sweep, default);

        Assert.StartsWith("Skipped", run?.Error);
        Assert.NotNull(await _harness.Get<ThumbnailFolder>().ReadAsync(orphan, default));
        Assert.Contains((await runs.SummaryAsync(_admin, default)).Value, s => s.Last.Sweep == "thumbnails" && s.Last.Error == run!.Error);
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
    public void Every_sweep_is_listed_with_its_configured_schedule_and_next_run()
    {
        var now = new DateTimeOffset(2026, 12, 7, 3, 31, 0, TimeSpan.Zero);

        var sweeps = _harness.Get<CleanupSchedule>().NextRuns(now);

        // The refresh-token sweep comes with the API's tokens, which the web app adds (the services page test sees all seven).
        Assert.Equal(["audit", "history", "jobs", "metrics", "thumbnails", "uploads"], sweeps.Select(s => s.Sweep));
        var jobs = sweeps.Single(s => s.Sweep == "jobs");
        Assert.Equal(("30 3 * * *", new DateTimeOffset(2026, 12, 8, 3, 30, 0, TimeSpan.Zero)), (jobs.Cron, jobs.Next));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 3, 45, 0, TimeSpan.Zero), sweeps.Single(s => s.Sweep == "uploads").Next);
        Assert.All(sweeps, s => Assert.True(s.Next > now));
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

    /// <summary>A thumbnail's key as the thumbnail store makes it from the file's length and modification time.</summary>
    private static ThumbnailKey KeyOf(long entryId, long length, DateTimeOffset modifiedAt) =>
        new(entryId, length, modifiedAt.UtcTicks, ThumbnailSize.Small, ThumbnailFormat.Webp);

    private async Task<Entry> EntryAsync(string name)
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Entries.AsNoTracking().SingleAsync(e => e.RootId == _harness.RootId && e.Name == name);
    }

    /// <summary>The sweep with nothing kept in memory from an earlier run, as another instance has it.</summary>
    private ThumbnailFolderSweep SweepOnANewInstance(int entriesPerRun)
    {
        var options = Options.Create(new MediaOptions { ThumbnailDirectory = _thumbnails, FolderSweepEntriesPerRun = entriesPerRun });
        var folder = new ThumbnailFolder(_harness.Get<IDbContextFactory<FileVaultDbContext>>(), options, TimeProvider.System, new CountingLogger<ThumbnailFolder>());
        return new ThumbnailFolderSweep(folder, _harness.Get<CleanupRuns>(), _harness.Get<IConnectionMultiplexer>(), _harness.Get<RedisKeys>(), options);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private async Task<List<long>> StatisticsBytesAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Database.SqlQueryRaw<long>("SELECT bytes AS \"Value\" FROM storage_statistics ORDER BY computed_at").ToListAsync();
    }
}
