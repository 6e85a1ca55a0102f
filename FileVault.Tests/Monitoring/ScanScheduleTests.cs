using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using Microsoft.Extensions.Options;

namespace FileVault.Tests.Monitoring;

/// <summary>The queues page's "next scheduled scans", from the scanner's own cron settings.</summary>
public sealed class ScanScheduleTests
{
    private static readonly DateTimeOffset Monday = new(2026, 12, 7, 14, 29, 0, TimeSpan.Zero);

    [Fact]
    public void The_next_runs_follow_the_default_schedules()
    {
        var runs = new ScanSchedule(Options.Create(new ScannerOptions())).NextRuns(Monday);

        Assert.Equal(
            [
                new ScheduledScan("incremental", "0 * * * *", new DateTimeOffset(2026, 12, 7, 15, 0, 0, TimeSpan.Zero)),
                new ScheduledScan("full", "0 6 * * 0", new DateTimeOffset(2026, 12, 13, 6, 0, 0, TimeSpan.Zero)),
                new ScheduledScan("health", "*/30 * * * *", new DateTimeOffset(2026, 12, 7, 14, 30, 0, TimeSpan.Zero)),
            ],
            runs);
    }

    [Fact]
    public void With_schedules_off_nothing_is_due()
    {
        var runs = new ScanSchedule(Options.Create(new ScannerOptions { SchedulesEnabled = false })).NextRuns(Monday);

        Assert.All(runs, r => Assert.Null(r.Next));
    }
}
