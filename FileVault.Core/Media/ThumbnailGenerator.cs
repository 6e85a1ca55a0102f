using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FileVault.Core.Media;

/// <summary>
/// Makes one thumbnail from an image's bytes with SkiaSharp: the longest side scaled to the size asked (never enlarged),
/// the aspect kept, the EXIF orientation applied, encoded as WebP or JPEG. JPEGs are decoded by the codec at a reduced
/// scale (1/2, 1/4 or 1/8), so a 24-megapixel photo is never decoded whole for 150 pixels; an image declaring more than
/// <see cref="MediaOptions.MaxPixels"/> is refused from its header, before anything is decoded.
/// </summary>
/// <remarks>
/// Codes: <c>media.unsupported</c> (not an image type FileVault thumbnails), <c>media.too_large</c> (over the pixel
/// limit), <c>media.unreadable</c> (empty, truncated, corrupt, or another kind of file under an image's name).
/// GIFs give their first frame; frames after it are never read.
/// </remarks>
public sealed class ThumbnailGenerator(IOptions<MediaOptions> options)
{
    /// <summary>
    /// The extensions (lower case, without the dot) the codec is asked about. HEIC and AVIF are not here: the Linux build
    /// of SkiaSharp's native library decodes neither, so trying would only turn every iPhone photo into a logged failure.
    /// </summary>
    public static IReadOnlyList<string> Extensions { get; } = ["jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "bmp"];

    private static readonly FrozenSet<string> ImageExtensions = Extensions.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a file of this name is one FileVault makes thumbnails of.</summary>
    public static bool IsImageName(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot >= 0 && IsImageExtension(name[(dot + 1)..]);
    }

    /// <summary>Whether a catalog extension (without the dot) is one FileVault makes thumbnails of.</summary>
    public static bool IsImageExtension(string? extension) => extension is not null && ImageExtensions.Contains(extension);

    public string ContentType => options.Value.Format == ThumbnailFormat.Jpeg ? "image/jpeg" : "image/webp";

    /// <summary>Reads the image from <paramref name="image"/> (seekable, left open) and returns the encoded thumbnail.</summary>
    public Result<GeneratedThumbnail> Generate(Stream image, ThumbnailSize size)
    {
        ArgumentNullException.ThrowIfNull(image);
        var settings = options.Value;
        using var codec = SKCodec.Create(new SKManagedStream(image, disposeManagedStream: false), out var opened);
        if (codec is null)
        {
            return Unreadable($"the codec does not recognise the bytes ({opened})");
        }

        var declared = codec.Info;
        if (declared.Width <= 0 || declared.Height <= 0)
        {
            return Unreadable("the image declares no pixels");
        }

        if ((long)declared.Width * declared.Height > settings.MaxPixels)
        {
            return new Error("media.too_large",
                $"The image declares {declared.Width} × {declared.Height} pixels, more than the {settings.MaxPixels} FileVault decodes.");
        }

        var origin = codec.EncodedOrigin;
        var swapped = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var longest = Math.Max(declared.Width, declared.Height);
        var scale = Math.Min(1.0, size.Pixels() / (double)longest);
        // The thumbnail as stored (before orientation): its longest side is the size asked.
        var drawn = new SKSizeI(Math.Max(1, (int)Math.Round(declared.Width * scale, MidpointRounding.AwayFromZero)),
            Math.Max(1, (int)Math.Round(declared.Height * scale, MidpointRounding.AwayFromZero)));

        // The codec's own reduced decode (JPEG: n/8); other formats answer with their full size.
        var decodedSize = codec.GetScaledDimensions((float)scale);
        if (decodedSize.Width < drawn.Width || decodedSize.Height < drawn.Height)
        {
            decodedSize = declared.Size;
        }

        var decodedInfo = new SKImageInfo(decodedSize.Width, decodedSize.Height, SKImageInfo.PlatformColorType, SKAlphaType.Premul);
        using var decoded = new SKBitmap();
        if (!decoded.TryAllocPixels(decodedInfo))
        {
            return new Error("media.too_large", $"There is not enough memory to decode {decodedSize.Width} × {decodedSize.Height} pixels.");
        }

        var result = codec.GetPixels(decodedInfo, decoded.GetPixels(), new SKCodecOptions(0));
        if (result != SKCodecResult.Success)
        {
            return Unreadable($"decoding stopped: {result}");
        }

        var output = swapped ? new SKSizeI(drawn.Height, drawn.Width) : drawn;
        using var surface = SKSurface.Create(new SKImageInfo(output.Width, output.Height, SKImageInfo.PlatformColorType, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.SetMatrix(OrientationMatrix(origin, output.Width, output.Height));
        using (var source = SKImage.FromBitmap(decoded))
        {
            canvas.DrawImage(source, SKRect.Create(drawn.Width, drawn.Height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }

        using var thumbnail = surface.Snapshot();
        var format = settings.Format == ThumbnailFormat.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Webp;
        using var encoded = thumbnail.Encode(format, settings.Quality);
        return encoded is null
            ? Unreadable($"the {format} encoder failed")
            : new GeneratedThumbnail(encoded.ToArray(), output.Width, output.Height, decodedSize.Width, decodedSize.Height);
    }

    /// <summary>
    /// Maps the stored image (drawn at the origin) onto the upright thumbnail of <paramref name="width"/> × <paramref name="height"/>:
    /// EXIF orientations 2–8 are mirrors and quarter turns of 1.
    /// </summary>
    private static SKMatrix OrientationMatrix(SKEncodedOrigin origin, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, width, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, width, 0, -1, height, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, height, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, width, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, width, -1, 0, height, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, height, 0, 0, 1),
        _ => SKMatrix.Identity,
    };

    private static Error Unreadable(string reason) => new("media.unreadable", $"The image cannot be read: {reason}.");
}

/// <summary>An encoded thumbnail, its size, and the size the codec decoded the original at (less than the original for large JPEGs).</summary>
public sealed record GeneratedThumbnail(byte[] Bytes, int Width, int Height, int DecodedWidth, int DecodedHeight);
