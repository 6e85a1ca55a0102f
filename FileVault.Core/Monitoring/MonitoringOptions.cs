using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Monitoring;

/// <summary>The system dashboard's sampling (FileVault:Monitoring).</summary>
public sealed class MonitoringOptions
{
    /// <summary>How often the live dashboard samples /proc while an admin has it open.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan LiveInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a sample is kept in PostgreSQL for the history, whether anyone looks or not.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HistoryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long history rows are kept.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "366.00:00:00")]
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>PostgreSQL's data directory on this host, for its disk usage; empty: asked of the server (needs pg_read_all_settings).</summary>
    public string? PostgresDataDirectory { get; set; }

    /// <summary>Redis's data directory on this host; empty: asked of the server (CONFIG GET dir), when it allows it.</summary>
    public string? RedisDataDirectory { get; set; }
}
