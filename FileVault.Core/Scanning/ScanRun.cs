using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Scanning;

public enum ScanKind : short
{
    Full = 0,
    Incremental = 1,
}

public enum ScanStatus : short
{
    Running = 0,
    Completed = 1,
    Failed = 2,
    Cancelled = 3,
    /// <summary>The root was unhealthy before or after the walk: nothing was written to the catalog.</summary>
    AbortedUnhealthy = 4,
    /// <summary>Adds and changes were applied; the missing entries are over the safety fraction and wait for an admin.</summary>
    AwaitingConfirmation = 5,
    /// <summary>Another scan of the same root was running.</summary>
    Skipped = 6,
}

/// <summary>One scan of one root: what it saw, what it changed, and why it stopped.</summary>
public class ScanRun
{
    public long Id { get; set; }

    public int RootId { get; set; }

    public ScanKind Kind { get; set; }

    public ScanStatus Status { get; set; }

    /// <summary>"schedule", "admin:&lt;email&gt;", "cli", "start-up".</summary>
    public required string TriggeredBy { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public long Seen { get; set; }

    public long Added { get; set; }

    public long Updated { get; set; }

    public long Missing { get; set; }

    /// <summary>Entries that would have been marked missing but were held back for confirmation.</summary>
    public long HeldMissing { get; set; }

    public long Renamed { get; set; }

    public long Errors { get; set; }

    public double EntriesPerSecond { get; set; }

    /// <summary>Time spent walking and staging (COPY runs during the walk).</summary>
    public double WalkSeconds { get; set; }

    /// <summary>Time spent in the merge transaction.</summary>
    public double MergeSeconds { get; set; }

    /// <summary>Why the run stopped early or what it is waiting for, in words for an admin.</summary>
    public string? Message { get; set; }
}

/// <summary>A path the scanner could not read; its subtree was left as it was in the catalog.</summary>
public class ScanError
{
    public long Id { get; set; }

    public long ScanRunId { get; set; }

    public required string RelativePath { get; set; }

    /// <summary>errno name (EACCES, EIO, ENOENT, ELOOP…) or "invalid_utf8".</summary>
    public required string Code { get; set; }

    public required string Message { get; set; }
}

/// <summary>An entry a held-back run would mark missing; an admin's confirmation marks exactly these.</summary>
public class ScanHeldMissing
{
    public long ScanRunId { get; set; }

    public long EntryId { get; set; }
}

internal sealed class ScanConfiguration :
    IEntityTypeConfiguration<ScanRun>, IEntityTypeConfiguration<ScanError>, IEntityTypeConfiguration<ScanHeldMissing>
{
    public void Configure(EntityTypeBuilder<ScanRun> builder)
    {
        builder.ToTable("scan_runs");
        builder.HasOne<Storage.StorageRoot>().WithMany().HasForeignKey(r => r.RootId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.RootId, r.StartedAt });
    }

    public void Configure(EntityTypeBuilder<ScanError> builder)
    {
        builder.ToTable("scan_errors");
        builder.HasOne<ScanRun>().WithMany().HasForeignKey(e => e.ScanRunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => e.ScanRunId);
    }

    public void Configure(EntityTypeBuilder<ScanHeldMissing> builder)
    {
        builder.ToTable("scan_held_missing");
        builder.HasKey(h => new { h.ScanRunId, h.EntryId });
        builder.HasOne<ScanRun>().WithMany().HasForeignKey(h => h.ScanRunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Catalog.Entry>().WithMany().HasForeignKey(h => h.EntryId).OnDelete(DeleteBehavior.Cascade);
    }
}
