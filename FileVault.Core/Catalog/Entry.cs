using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Catalog;

public enum EntryKind : short
{
    Directory = 0,
    File = 1,
    Symlink = 2,
    /// <summary>Sockets, FIFOs, devices: listed, never opened.</summary>
    Other = 3,
}

public enum EntryState : short
{
    Active = 0,
    Trashed = 1,
    /// <summary>Gone from the disk at the last scan; kept with its metadata so a returning file gets it back.</summary>
    Missing = 2,
}

/// <summary>One file, folder or link on a storage root. The bytes stay on disk; everything else lives here.</summary>
public class Entry
{
    public long Id { get; set; }

    public int RootId { get; set; }

    /// <summary>Null only for the root's own entry (RelativePath "").</summary>
    public long? ParentId { get; set; }

    /// <summary>The name exactly as found on disk (NFD stays NFD); bytes that are not UTF-8 are shown as \xNN.</summary>
    public required string Name { get; set; }

    /// <summary>NFC, lower-cased: what search and case/normalisation-insensitive lookups compare.</summary>
    public required string NameKey { get; set; }

    /// <summary>'/'-joined on-disk names from the root; "" for the root itself. Compared bytewise (collation "C").</summary>
    public required string RelativePath { get; set; }

    public EntryKind Kind { get; set; }

    /// <summary>0 for folders, 1 for everything else: "folders first" in every listing, and the first key of the browse indexes.</summary>
    public short SortGroup { get; private set; }

    public long Size { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Lower-case, without the dot; null when the name has none.</summary>
    public string? Extension { get; set; }

    public string? MimeType { get; set; }

    /// <summary>SHA-256 of the content, when it has been computed (uploads, duplicate detection).</summary>
    public byte[]? ContentHash { get; set; }

    public string? Description { get; set; }

    public Guid? UploadedById { get; set; }

    public DateTimeOffset? UploadedAt { get; set; }

    public EntryState State { get; set; }

    /// <summary>The scan that last added or changed this row. Active rows were all seen by their root's last completed scan.</summary>
    public long? ChangedByScanId { get; set; }

    public DateTimeOffset? MissingSince { get; set; }

    /// <summary>Device and inode when last seen: how a rename made outside FileVault is recognised.</summary>
    public long Device { get; set; }

    public long Inode { get; set; }

    /// <summary>False when the on-disk name is not valid UTF-8; such entries are addressed by id, never by path.</summary>
    public bool NameIsValid { get; set; } = true;

    /// <summary>For symlinks: where the link points, as stored in the link (never followed by the scanner).</summary>
    public string? LinkTarget { get; set; }
}

internal sealed class EntryConfiguration : IEntityTypeConfiguration<Entry>
{
    public void Configure(EntityTypeBuilder<Entry> builder)
    {
        builder.ToTable("entries");
        builder.Property(e => e.Id).UseIdentityByDefaultColumn();
        builder.Property(e => e.RelativePath).UseCollation("C");
        builder.Property(e => e.NameKey).UseCollation("C");
        builder.Property(e => e.SortGroup).HasComputedColumnSql("CASE WHEN kind = 0 THEN 0 ELSE 1 END", stored: true);
        // No foreign keys on root_id and parent_id: the scanner's merge is the only writer of those links and keeps them
        // whole (tests check that every row's parent exists), and the row-by-row RI triggers cost 8.7 s of a
        // 1M-entry first scan. Every index here is paid on every bulk insert, so there are two and a partial one.
        builder.HasIndex(e => new { e.RootId, e.RelativePath }).IsUnique();
        // Keyset browse by name, "folders first" (SortGroup); other sorts sort one folder's rows in memory.
        builder.HasIndex(e => new { e.ParentId, e.SortGroup, e.NameKey, e.Id }).HasDatabaseName("ix_entries_browse_name");
        // Search: a word is a substring of the name key or the description (LIKE '%word%'), which only trigrams serve.
        // Names have no trigram index on purpose: GIN on name_key made a 104k-entry first scan's insert 3-5x slower
        // and would put a 1M-entry first scan near 40 s, past its 30 s target; a name search scans the table instead
        // (about 0.1 s per million names in parallel). An index kept outside the scan's path is the search issue's.
        // Most entries have no description; the scanner never writes one, so its inserts skip this index.
        builder.HasIndex(e => e.Description).HasMethod("gin").HasOperators("gin_trgm_ops").HasFilter("description IS NOT NULL")
            .HasDatabaseName("ix_entries_description_trgm");
    }
}
