using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Monitoring;

/// <summary>One minute of one host's history: the dashboard's charts over hours read these.</summary>
public class MetricSample
{
    public long Id { get; set; }

    public required string Host { get; set; }

    public DateTimeOffset At { get; set; }

    public double CpuPercent { get; set; }

    public long MemoryUsed { get; set; }

    public long MemoryTotal { get; set; }

    public long SwapUsed { get; set; }

    public double Load1 { get; set; }

    /// <summary>Summed over the devices of the watched places, each device once.</summary>
    public double DiskReadBytesPerSecond { get; set; }

    public double DiskWrittenBytesPerSecond { get; set; }

    public double ReceivedBytesPerSecond { get; set; }

    public double SentBytesPerSecond { get; set; }
}

internal sealed class MetricSampleConfiguration : IEntityTypeConfiguration<MetricSample>
{
    public void Configure(EntityTypeBuilder<MetricSample> builder)
    {
        builder.ToTable("metric_samples");
        builder.Property(m => m.Host).HasMaxLength(255);
        builder.HasIndex(m => new { m.Host, m.At });
        builder.HasIndex(m => m.At);
    }
}
