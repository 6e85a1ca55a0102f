using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Duplicates;

/// <summary>
/// The hashes of one file's content as the duplicate finder last read it, with the file's identity at that moment
/// (size, modification and change times to the nanosecond, device and inode). A hash is reused only while the file
/// still has exactly that identity; any write changes mtime and ctime, so a changed file is read again.
/// </summary>
public class ContentHash
{
    public long EntryId { get; set; }

    public long Size { get; set; }

    public long MtimeNs { get; set; }

    public long CtimeNs { get; set; }

    public long Device { get; set; }

    public long Inode { get; set; }

    /// <summary>SHA-256 of the first and last block (the whole file when it is at most two blocks).</summary>
    public required byte[] PartialHash { get; set; }

    /// <summary>SHA-256 of the whole content; computed only when another file of the same size has the same partial hash.</summary>
    public byte[]? FullHash { get; set; }

    public DateTimeOffset HashedAt { get; set; }
}

internal sealed class ContentHashConfiguration : IEntityTypeConfiguration<ContentHash>
{
    public void Configure(EntityTypeBuilder<ContentHash> builder)
    {
        builder.ToTable("content_hashes");
        builder.HasKey(h => h.EntryId);
        builder.Property(h => h.EntryId).ValueGeneratedNever();
        // The report groups by (size, full hash); only files that collided on their partial hash have one.
        builder.HasIndex(h => new { h.Size, h.FullHash }).HasFilter("full_hash IS NOT NULL");
    }
}
