using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Audit;

/// <summary>One line of the audit trail: who did what to which target, with details as JSON.</summary>
public class AuditRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The acting user; null for the system (scheduler, start-up).</summary>
    public Guid? ActorId { get; set; }

    /// <summary>A stable dotted name: <c>grant.create</c>, <c>user.disable</c>, ...</summary>
    public required string Action { get; set; }

    /// <summary>What the action was done to, as <c>kind:id</c> (<c>user:…</c>, <c>grant:12</c>, <c>group:3</c>).</summary>
    public required string Target { get; set; }

    /// <summary>A JSON object (jsonb).</summary>
    public string Detail { get; set; } = "{}";
}

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    public void Configure(EntityTypeBuilder<AuditRecord> builder)
    {
        builder.ToTable("audit_log");
        builder.Property(a => a.Id).UseIdentityByDefaultColumn();
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.Property(a => a.Target).HasMaxLength(200);
        builder.Property(a => a.Detail).HasColumnType("jsonb");
        builder.HasIndex(a => a.At);
        builder.HasIndex(a => new { a.Target, a.At });
    }
}
