using System.Globalization;
using System.Text.Json;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using SkiaSharp;

namespace FileVault.Core.Media;

/// <summary>Reads EXIF with MetadataExtractor into an <see cref="EntryMedia"/> row (size from the codec's header).</summary>
public static class PhotoMetadata
{
    private const int MaxText = 500;

    /// <summary>Reads <paramref name="image"/> (seekable; read from its start). Throws <see cref="ImageProcessingException"/> or IOException on bad input.</summary>
    public static EntryMedia Read(Stream image, long entryId)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Position = 0;
        var directories = ImageMetadataReader.ReadMetadata(image);
        image.Position = 0;
        using var codec = SKCodec.Create(new SKManagedStream(image, disposeManagedStream: false));

        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var sub = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault()?.GetGeoLocation();
        short? orientation = ifd0?.TryGetInt32(ExifDirectoryBase.TagOrientation, out var o) == true && o is >= 1 and <= 8 ? (short)o : null;
        var swapped = orientation is >= 5;
        int? width = codec is null ? null : swapped ? codec.Info.Height : codec.Info.Width;
        int? height = codec is null ? null : swapped ? codec.Info.Width : codec.Info.Height;
        return new EntryMedia
        {
            EntryId = entryId,
            Make = Text(ifd0, ExifDirectoryBase.TagMake),
            Model = Text(ifd0, ExifDirectoryBase.TagModel),
            Lens = Text(sub, ExifDirectoryBase.TagLensModel),
            TakenAt = sub?.TryGetDateTime(ExifDirectoryBase.TagDateTimeOriginal, out var taken) == true
                ? DateTime.SpecifyKind(taken, DateTimeKind.Unspecified)
                : null,
            Width = width,
            Height = height,
            Orientation = orientation,
            ExposureSeconds = Number(sub, ExifDirectoryBase.TagExposureTime),
            FNumber = Number(sub, ExifDirectoryBase.TagFNumber),
            Iso = sub?.TryGetInt32(ExifDirectoryBase.TagIsoEquivalent, out var iso) == true ? iso : null,
            FocalLengthMm = Number(sub, ExifDirectoryBase.TagFocalLength),
            Latitude = gps is { IsZero: false } ? gps.Latitude : null,
            Longitude = gps is { IsZero: false } ? gps.Longitude : null,
            Raw = RawJson(directories),
        };
    }

    private static string? Text(MetadataExtractor.Directory? directory, int tag)
    {
        var text = directory?.GetString(tag)?.Replace("\0", "", StringComparison.Ordinal).Trim();
        return string.IsNullOrEmpty(text) ? null : text.Length > MaxText ? text[..MaxText] : text;
    }

    private static double? Number(MetadataExtractor.Directory? directory, int tag) =>
        directory is not null && directory.TryGetRational(tag, out var value) && value.Denominator != 0 ? value.ToDouble() : null;

    /// <summary>Every tag's description, NULs removed (jsonb cannot hold them) and long ones cut, so one odd maker note cannot bloat the row.</summary>
    private static string RawJson(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var raw = new Dictionary<string, Dictionary<string, string>>();
        foreach (var directory in directories)
        {
            var tags = raw.TryGetValue(directory.Name, out var existing) ? existing : raw[directory.Name] = [];
            foreach (var tag in directory.Tags)
            {
                var text = tag.Description?.Replace("\0", "", StringComparison.Ordinal);
                if (!string.IsNullOrEmpty(text))
                {
                    tags.TryAdd(tag.Name, text.Length > MaxText ? text[..MaxText] : text);
                }
            }
        }

        return JsonSerializer.Serialize(raw);
    }

    /// <summary>"1/250 s" for short exposures, "2.5 s" for long ones.</summary>
    public static string FormatExposure(double seconds) =>
        seconds is > 0 and < 1
            ? string.Create(CultureInfo.InvariantCulture, $"1/{Math.Round(1 / seconds):0} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.#} s");
}
