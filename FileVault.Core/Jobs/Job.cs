using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Jobs;

public enum JobStatus : short
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
    /// <summary>Its process died while it ran; its handler resumes or rolls it back at start-up.</summary>
    Interrupted = 5,
}

/// <summary>
/// The durable record of work that changes the file system (DESIGN invariant 4): written before the disk is touched,
/// claimed by one instance at a time, and left behind by a crash for start-up to find.
/// </summary>
public class Job
{
    public long Id { get; set; }

    /// <summary>What to run: "move", "copy", "rename", "compress", …</summary>
    public required string Type { get; set; }

    /// <summary>Coravel queue name, for a concurrency limit per kind of work.</summary>
    public required string Queue { get; set; }

    /// <summary>The handler's input as JSON (paths by entry id, options).</summary>
    public required string Payload { get; set; }

    public Guid OwnerId { get; set; }

    /// <summary>The handler's own record of how far it got (JSON), written in the same transaction as each step's catalog change, so a resumed run skips what is done.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>The path locks the job holds (JSON <see cref="Locks.HeldLocks"/>): taken when it is requested, renewed while it waits and runs.</summary>
    public string? Locks { get; set; }

    public JobStatus Status { get; set; }

    /// <summary>0 to 1.</summary>
    public double Progress { get; set; }

    public string? ProgressText { get; set; }

    public string? Error { get; set; }

    /// <summary>What a finished job did, as JSON for its owner (counts, skipped names, failures).</summary>
    public string? Summary { get; set; }

    public int Attempts { get; set; }

    /// <summary>Set by clients (Idempotency-Key, a Blazor click id): the same key from the same owner makes one job (R-OP-7).</summary>
    public string? IdempotencyKey { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>The entry a finished job created or changed, for answering a repeated request.</summary>
    public long? ResultEntryId { get; set; }

    /// <summary>The instance that claimed it; with <see cref="HeartbeatAt"/>, how a crashed run is recognised.</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? HeartbeatAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> builder)
    {
        builder.ToTable("jobs");
        builder.Property(j => j.Type).HasMaxLength(40);
        builder.Property(j => j.Queue).HasMaxLength(40);
        builder.Property(j => j.Payload).HasColumnType("jsonb");
        builder.Property(j => j.Checkpoint).HasColumnType("jsonb");
        builder.Property(j => j.Locks).HasColumnType("jsonb");
        builder.Property(j => j.Summary).HasColumnType("jsonb");
        builder.Property(j => j.IdempotencyKey).HasMaxLength(200);
        builder.HasIndex(j => new { j.OwnerId, j.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL");
        // The claim query: the oldest queued job of a queue.
        builder.HasIndex(j => new { j.Queue, j.Id }).HasFilter("status = 0").HasDatabaseName("ix_jobs_queued");
        builder.HasIndex(j => new { j.OwnerId, j.Id });
        builder.HasIndex(j => j.Status).HasFilter("status = 1").HasDatabaseName("ix_jobs_running");
    }
}
