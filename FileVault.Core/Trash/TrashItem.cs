using FileVault.Core.Catalog;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Trash;

public enum TrashItemState : short
{
    /// <summary>Recorded by a delete job that has not moved the entry yet; a crashed job's pending row is finished or dropped by its resumption.</summary>
    Pending = 0,
    InTrash = 1,
}

/// <summary>
/// One deleted file or folder (with everything beneath it), kept in its root's trash area on the same file system:
/// <c>.filevault-trash/{Id}/{Name}</c>. Its catalog rows stay, marked trashed, with their descriptions and uploaders,
/// so a restore brings everything back.
/// </summary>
public class TrashItem
{
    public long Id { get; set; }

    public int RootId { get; set; }

    /// <summary>The catalog row of the deleted entry (state Trashed while it is here).</summary>
    public long EntryId { get; set; }

    /// <summary>Where it was, relative to the root.</summary>
    public required string OriginalPath { get; set; }

    public required string Name { get; set; }

    public EntryKind Kind { get; set; }

    /// <summary>Bytes of the file, or of every file beneath the folder.</summary>
    public long Size { get; set; }

    /// <summary>Files and folders beneath it, itself included.</summary>
    public int EntryCount { get; set; }

    public Guid DeletedById { get; set; }

    public DateTimeOffset DeletedAt { get; set; }

    public long JobId { get; set; }

    public TrashItemState State { get; set; }

    /// <summary>Where it is now, relative to the root.</summary>
    public string TrashPath => $"{Storage.PathGuard.TrashDirectoryName}/{Id}/{Name}";
}

internal sealed class TrashItemConfiguration : IEntityTypeConfiguration<TrashItem>
{
    public void Configure(EntityTypeBuilder<TrashItem> builder)
    {
        builder.ToTable("trash_items");
        builder.Property(t => t.Id).UseIdentityByDefaultColumn();
        builder.Property(t => t.OriginalPath).UseCollation("C");
        builder.Ignore(t => t.TrashPath);
        builder.HasIndex(t => new { t.DeletedById, t.DeletedAt });
        builder.HasIndex(t => t.DeletedAt);
    }
}
