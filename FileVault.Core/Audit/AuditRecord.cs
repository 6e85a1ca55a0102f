using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Audit;

/// <summary>How a recorded action ended.</summary>
public enum AuditResult : short
{
    Succeeded = 0,
    Failed = 1,
}

/// <summary>One line of the audit trail: who did what to which target, with details as JSON.</summary>
public class AuditRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The acting user; null for the system (scheduler, start-up).</summary>
    public Guid? ActorId { get; set; }

    /// <summary>A stable dotted name: <c>grant.create</c>, <c>user.disable</c>, ...</summary>
    public required string Action { get; set; }

    /// <summary>What the action was done to, as <c>kind:id</c> (<c>user:…</c>, <c>grant:12</c>, <c>group:3</c>), or a path <c>root/folder/name</c>.</summary>
    public required string Target { get; set; }

    /// <summary>A JSON object (jsonb).</summary>
    public string Detail { get; set; } = "{}";

    public AuditResult Result { get; set; }

    /// <summary>Where the target went (<c>to</c> in <see cref="Detail"/>: moves, copies, renames); computed by PostgreSQL.</summary>
    public string? To { get; private set; }

    /// <summary>The job that did it (<c>job</c> in <see cref="Detail"/>); computed by PostgreSQL.</summary>
    public long? JobId { get; private set; }
}

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    public void Configure(EntityTypeBuilder<AuditRecord> builder)
    {
        builder.ToTable("audit_log");
        builder.Property(a => a.Id).UseIdentityByDefaultColumn();
        builder.Property(a => a.Action).HasMaxLength(64);
        // Paths reach 4,096 bytes: a length limit here would fail the very change being audited.
        builder.Property(a => a.Detail).HasColumnType("jsonb");
        // Generated from the detail every writer already records, so no writer has to fill them in and old rows have them too.
        builder.Property(a => a.To).HasColumnName("to_path").HasComputedColumnSql("detail ->> 'to'", stored: true);
        builder.Property(a => a.JobId).HasComputedColumnSql(
            "CASE WHEN jsonb_typeof(detail -> 'job') = 'number' THEN (detail ->> 'job')::numeric::bigint END", stored: true);
        // The audit page: newest first, keyset on (at, id), by actor or action; "path contains" by trigram.
        builder.HasIndex(a => new { a.At, a.Id });
        builder.HasIndex(a => new { a.ActorId, a.At, a.Id });
        builder.HasIndex(a => new { a.Action, a.At, a.Id });
        builder.HasIndex(a => a.Target).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_audit_log_target_trgm");
        builder.HasIndex(a => a.To).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_audit_log_to_path_trgm");
    }
}
