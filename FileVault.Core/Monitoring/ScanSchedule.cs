using Cronos;
using FileVault.Core.Scanning;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Monitoring;

/// <summary>One of the scanner's schedules and when it next runs (null when schedules are off on this instance).</summary>
public sealed record ScheduledScan(string Kind, string Cron, DateTimeOffset? Next);

/// <summary>When the scanner's schedules (incremental, full, mount health) run next, from the same cron settings Coravel runs them by.</summary>
public sealed class ScanSchedule(IOptions<ScannerOptions> options)
{
    public IReadOnlyList<ScheduledScan> NextRuns(DateTimeOffset now)
    {
        var settings = options.Value;
        return
        [
            Next("incremental", settings.IncrementalCron),
            Next("full", settings.FullCron),
            Next("health", settings.HealthCron),
        ];

        ScheduledScan Next(string kind, string cron)
        {
            if (!settings.SchedulesEnabled)
            {
                return new ScheduledScan(kind, cron, null);
            }

            var next = CronExpression.Parse(cron).GetNextOccurrence(now.UtcDateTime, TimeZoneInfo.Utc);
            return new ScheduledScan(kind, cron, next is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null);
        }
    }
}
