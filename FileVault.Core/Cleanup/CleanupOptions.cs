using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Cleanup;

/// <summary>FileVault:Cleanup — when the daily sweeps run and how long what they remove is kept.</summary>
public sealed class CleanupOptions
{
    /// <summary>The daily sweeps: old jobs, audit rows, storage statistics, cleanup runs (UTC, cron). The thumbnail folder's sweep has its own schedule, FileVault:Media:FolderSweepCron.</summary>
    [Required]
    public string Cron { get; set; } = "30 3 * * *";

    /// <summary>The metrics sweep (its retention is FileVault:Monitoring:HistoryRetention, a day by default, so hourly).</summary>
    [Required]
    public string MetricsCron { get; set; } = "7 * * * *";

    /// <summary>Finished jobs (succeeded, failed, cancelled) older than this are deleted; unfinished ones never.</summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Audit rows older than this are deleted.</summary>
    public TimeSpan AuditRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Storage statistics (the growth chart's points) older than this are deleted; each root's newest stays.</summary>
    public TimeSpan StatisticsRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Cleanup runs' own rows older than this are deleted.</summary>
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromDays(30);
}
