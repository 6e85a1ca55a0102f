using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Scanning;

/// <summary>
/// Two instances of the app on one database and one Redis, their schedules shortened to every minute: each instance's
/// scheduler fires the same occurrence (on its own one-second tick), and exactly one of them runs it.
/// </summary>
public sealed class ScheduleRunsOnceTests : IAsyncLifetime
{
    private readonly KestrelAppFactory _first = new();
    private readonly KestrelAppFactory _second;

    public ScheduleRunsOnceTests()
    {
        _second = new KestrelAppFactory(_first);
        foreach (var app in new[] { _first, _second })
        {
            app.Settings["FileVault:Scanner:SchedulesEnabled"] = "true";
            app.Settings["FileVault:Scanner:IncrementalCron"] = "* * * * *";
            app.Settings["FileVault:Scanner:HealthCron"] = "* * * * *";
            app.Settings["FileVault:Scanner:FullCron"] = "0 0 1 1 *";
        }
    }

    public async Task InitializeAsync()
    {
        await _first.InitializeAsync();
        await _second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    [Fact]
    public async Task An_occurrence_both_instances_fire_runs_on_one_of_them_once()
    {
        File.WriteAllText(Path.Combine(_first.StorageDirectory, "보고서.txt"), "한 번만");

        // Up to two minutes: the next minute's occurrence, fired by both.
        var occurrence = await BothFiredAsync("scan:Incremental");
        var health = await BothFiredAsync("mount-health");

        Assert.Single(Firings("scan:Incremental", occurrence), f => f.RanHere);
        Assert.Single(Firings("mount-health", health), f => f.RanHere);
        List<ScanRun> runs = [];
        await Poll.UntilAsync(async () =>
        {
            await using var db = _first.Database.CreateDbContext();
            runs = await db.ScanRuns.AsNoTracking()
                .Where(r => r.Kind == ScanKind.Incremental && r.TriggeredBy == "schedule" && r.StartedAt >= occurrence && r.StartedAt < occurrence.AddMinutes(1))
                .ToListAsync();
            return runs.Count > 0 && runs.All(r => r.FinishedAt is not null);
        }, "the occurrence's scan to finish");
        Assert.Single(runs);
    }

    private IEnumerable<ScheduleFiring> Firings(string schedule, DateTimeOffset occurrence) =>
        new[] { _first, _second }.SelectMany(app => app.Services.GetRequiredService<ScheduleOccurrences>().Recent)
            .Where(f => f.Schedule == schedule && f.Occurrence == occurrence);

    /// <summary>The first occurrence of <paramref name="schedule"/> that each instance has fired.</summary>
    private async Task<DateTimeOffset> BothFiredAsync(string schedule)
    {
        DateTimeOffset? both = null;
        await Poll.UntilAsync(() =>
        {
            var first = _first.Services.GetRequiredService<ScheduleOccurrences>().Recent.Where(f => f.Schedule == schedule).Select(f => f.Occurrence);
            var second = _second.Services.GetRequiredService<ScheduleOccurrences>().Recent.Where(f => f.Schedule == schedule).Select(f => f.Occurrence);
            both = first.Intersect(second).Order().Cast<DateTimeOffset?>().FirstOrDefault();
            return Task.FromResult(both is not null);
        }, $"both instances to fire {schedule}", TimeSpan.FromMinutes(3));
        return both!.Value;
    }
}
