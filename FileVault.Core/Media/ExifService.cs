using FileVault.Core.Access;
using FileVault.Core.Downloads;

namespace FileVault.Core.Media;

/// <summary>What the details panel and the API show of a photo's EXIF.</summary>
public sealed record PhotoDetails(
    string? Make, string? Model, string? Lens, DateTime? TakenAt, int? Width, int? Height, short? Orientation,
    double? ExposureSeconds, double? FNumber, int? Iso, double? FocalLengthMm, double? Latitude, double? Longitude)
{
    public static PhotoDetails From(EntryMedia media)
    {
        ArgumentNullException.ThrowIfNull(media);
        return new(media.Make, media.Model, media.Lens, media.TakenAt, media.Width, media.Height, media.Orientation,
            media.ExposureSeconds, media.FNumber, media.Iso, media.FocalLengthMm, media.Latitude, media.Longitude);
    }
}

/// <summary>
/// A photo's EXIF for an acting user. The file is opened as a download opens it (same access evaluator, path guard,
/// no-follow open, mount check), so an image the user cannot read is <c>entry.not_found</c> here too; the stored row
/// is used when it was read from the file's current version, else the file is read now.
/// </summary>
/// <remarks>Codes: those of a download, <c>media.unsupported</c>, <c>media.unreadable</c>.</remarks>
public sealed class ExifService(DownloadService downloads, ExifCatalog catalog)
{
    public async Task<Result<PhotoDetails>> GetAsync(AccessSubject actor, long entryId, CancellationToken cancellationToken)
    {
        var opened = await downloads.OpenFileAsync(actor, entryId, record: false, cancellationToken);
        if (!opened.IsSuccess)
        {
            return opened.Error!.Code is "entry.not_a_file" or "path.invalid_name" ? ThumbnailService.Unsupported() : opened.Error;
        }

        using var file = opened.Value;
        if (!ThumbnailGenerator.IsImageName(file.Name))
        {
            return ThumbnailService.Unsupported();
        }

        await using var content = new BufferedStream(file.OpenContent(), 64 * 1024);
        var media = await catalog.GetOrReadAsync(entryId, file.Length, file.LastModified.UtcTicks, content, cancellationToken);
        return media is null
            ? new Error("media.unreadable", "The image's metadata cannot be read.")
            : PhotoDetails.From(media);
    }
}
