using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Uploads;

public enum UploadStatus : short
{
    /// <summary>Bytes are still coming; the staging file holds <see cref="Upload.Offset"/> of them.</summary>
    Receiving = 0,
    /// <summary>The file is in place under its final name; the row stays until it expires so a late HEAD still answers.</summary>
    Completed = 1,
}

/// <summary>
/// One tus upload resource: who made it, where the file goes, how many bytes are durably staged. The bytes live in the
/// root's staging folder under <see cref="Id"/>; the row is the only record of where they belong.
/// </summary>
public sealed class Upload
{
    /// <summary>Random and unguessable (it is the URL); never derived from a name or a user.</summary>
    public required string Id { get; set; }

    public Guid OwnerId { get; set; }

    public int RootId { get; set; }

    /// <summary>The destination folder, followed by id: renamed in between, the upload lands in it under its new name.</summary>
    public long FolderId { get; set; }

    /// <summary>NFC, checked by the path guard at creation.</summary>
    public required string FileName { get; set; }

    /// <summary>Subfolders under the destination for a folder upload ("a/b"), NFC, each component guarded; null for none.</summary>
    public string? Subfolders { get; set; }

    /// <summary>Upload-Length: the final size, declared at creation.</summary>
    public long Length { get; set; }

    /// <summary>Bytes durably staged (written and fsynced before this was recorded, R-UP-6).</summary>
    public long Offset { get; set; }

    /// <summary>The whole file's SHA-256 the client declared (metadata <c>sha256</c>), compared at completion (R-UP-3).</summary>
    public byte[]? ExpectedSha256 { get; set; }

    /// <summary>
    /// The client chose "replace" for a name taken at the destination: at completion, if <c>WriteAccess</c> still allows
    /// it, the file holding the name goes to the trash and this one takes its place. Without it a taken name is a conflict.
    /// </summary>
    public bool ReplaceExisting { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public UploadStatus Status { get; set; }

    /// <summary>The catalog entry the completed upload became.</summary>
    public long? EntryId { get; set; }
}

internal sealed class UploadConfiguration : IEntityTypeConfiguration<Upload>
{
    public void Configure(EntityTypeBuilder<Upload> builder)
    {
        builder.ToTable("uploads");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(64);
        builder.Property(u => u.FileName).HasMaxLength(1024);
        builder.Property(u => u.Subfolders).HasMaxLength(8192);
        builder.HasIndex(u => new { u.OwnerId, u.Status });
        builder.HasIndex(u => u.ExpiresAt);
        builder.HasOne<Access.FileVaultUser>().WithMany().HasForeignKey(u => u.OwnerId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Storage.StorageRoot>().WithMany().HasForeignKey(u => u.RootId).OnDelete(DeleteBehavior.Cascade);
    }
}
