using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Storage;

/// <summary>A mounted directory of the file server that FileVault catalogs.</summary>
public class StorageRoot
{
    public int Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Absolute path of the mount on this host.</summary>
    public required string Path { get; set; }

    public bool IsReadOnly { get; set; }

    /// <summary>Device id (st_dev) recorded at registration; a different one later means the mount changed.</summary>
    public long DeviceId { get; set; }

    /// <summary>Written into the root's marker file; a marker with another id is not ours.</summary>
    public Guid MarkerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public RootHealth Health { get; set; } = RootHealth.Unknown;

    /// <summary>Why the root is unhealthy, or what a held-back scan is waiting for.</summary>
    public string? HealthMessage { get; set; }

    public DateTimeOffset? HealthCheckedAt { get; set; }

    /// <summary>Set when the root turned unhealthy or a scan was held back; admins see a banner until it is confirmed or the mount returns.</summary>
    public bool AlertOpen { get; set; }

    /// <summary>The last scan that finished and merged into the catalog.</summary>
    public long? LastCompletedScanId { get; set; }
}

public enum RootHealth : short
{
    Unknown = 0,
    Healthy = 1,
    Unhealthy = 2,
}

internal sealed class StorageRootConfiguration : IEntityTypeConfiguration<StorageRoot>
{
    public void Configure(EntityTypeBuilder<StorageRoot> builder)
    {
        builder.ToTable("storage_roots");
        builder.Property(r => r.Name).HasMaxLength(100);
        builder.Property(r => r.Path).HasMaxLength(4096);
        builder.HasIndex(r => r.Name).IsUnique();
        builder.HasIndex(r => r.Path).IsUnique();
    }
}
