using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Media;

/// <summary>
/// What an image says about itself (EXIF), read from one version of the file: typed columns for what people filter and
/// read (camera, lens, when taken, exposure, place), and every tag as text in <see cref="Raw"/>.
/// </summary>
public class EntryMedia
{
    public long EntryId { get; set; }

    /// <summary>The file's size and modification time (as fstat gives them) when it was read: a row of another version is read again.</summary>
    public long ContentLength { get; set; }

    public long ContentModifiedTicks { get; set; }

    public string? Make { get; set; }

    public string? Model { get; set; }

    public string? Lens { get; set; }

    /// <summary>DateTimeOriginal as the camera's clock wrote it: a local time with no zone.</summary>
    public DateTime? TakenAt { get; set; }

    /// <summary>The upright size (width and height swapped for orientations 5 to 8), in pixels.</summary>
    public int? Width { get; set; }

    public int? Height { get; set; }

    /// <summary>EXIF orientation, 1 to 8.</summary>
    public short? Orientation { get; set; }

    /// <summary>Exposure time in seconds.</summary>
    public double? ExposureSeconds { get; set; }

    /// <summary>The f-number (aperture).</summary>
    public double? FNumber { get; set; }

    public int? Iso { get; set; }

    /// <summary>Focal length in millimetres.</summary>
    public double? FocalLengthMm { get; set; }

    public double? Latitude { get; set; }

    public double? Longitude { get; set; }

    /// <summary>Every tag MetadataExtractor found, as <c>{ directory: { tag: text } }</c>.</summary>
    public required string Raw { get; set; }

    public DateTimeOffset ReadAt { get; set; }
}

internal sealed class EntryMediaConfiguration : IEntityTypeConfiguration<EntryMedia>
{
    public void Configure(EntityTypeBuilder<EntryMedia> builder)
    {
        builder.ToTable("entry_media");
        builder.HasKey(m => m.EntryId);
        builder.Property(m => m.EntryId).ValueGeneratedNever();
        // No foreign key to entries: a key there would add a trigger to every row the scanner's merge deletes; reads
        // join active entries, so a row left by a deleted entry is never shown.
        builder.Property(m => m.TakenAt).HasColumnType("timestamp without time zone");
        builder.Property(m => m.Raw).HasColumnType("jsonb");
        builder.HasIndex(m => m.Model);
        builder.HasIndex(m => m.TakenAt);
    }
}
