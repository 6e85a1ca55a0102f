using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Scanning;

/// <summary>FileVault:Scanner in appsettings.json.</summary>
public sealed class ScannerOptions
{
    /// <summary>Walker threads; I/O bound, so more than the cores help on network mounts.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>A run that would mark more than this fraction of a root's entries missing marks none and waits for an admin (R-SCAN-2).</summary>
    [Range(0.0, 1.0)]
    public double MaxMissingFraction { get; set; } = 0.2;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Cron (UTC, Coravel syntax) for the hourly incremental scan of every root.</summary>
    public string IncrementalCron { get; set; } = "0 * * * *";

    /// <summary>Cron for the weekly full scan: Sundays 06:00.</summary>
    public string FullCron { get; set; } = "0 6 * * 0";

    /// <summary>Cron for the mount health check: every 30 minutes.</summary>
    public string HealthCron { get; set; } = "*/30 * * * *";

    /// <summary>Scheduled work off (tests, or an instance that must never scan).</summary>
    public bool SchedulesEnabled { get; set; } = true;

    /// <summary>Per-path errors stored per run; the count is always exact.</summary>
    [Range(0, 100_000)]
    public int MaxStoredErrors { get; set; } = 1000;
}
