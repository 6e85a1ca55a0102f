using FileVault.Core.Media;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FileVault.Tests.Media;

/// <summary>The generator alone: sizes, orientation by pixels, reduced decoding, and every kind of bad input as a stable error.</summary>
public sealed class ThumbnailGeneratorTests
{
    private static ThumbnailGenerator Generator(MediaOptions? options = null) => new(Options.Create(options ?? new MediaOptions()));

    [Theory]
    [InlineData(ThumbnailSize.Small, 150, 100)]
    [InlineData(ThumbnailSize.Medium, 300, 200)]
    [InlineData(ThumbnailSize.Large, 800, 533)]
    public void Each_size_puts_its_length_on_the_longest_side_and_keeps_the_aspect(ThumbnailSize size, int width, int height)
    {
        var made = Generate(Generator(), TestImages.FourQuadrants(1200, 800), size);

        using var bitmap = SKBitmap.Decode(made.Bytes);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        Assert.Equal((width, height), (made.Width, made.Height));
    }

    [Fact]
    public void Heic_stays_an_icon_because_this_skiasharp_build_cannot_decode_it()
    {
        // The Linux native library SkiaSharp ships decodes no HEIF: no codec recognises a real HEIC. Should a later build
        // decode it, this fails, and "heic" belongs in ThumbnailGenerator.Extensions.
        using var data = SKData.CreateCopy(TestImages.Heic());
        using var codec = SKCodec.Create(data);

        Assert.Null(codec);
        Assert.False(ThumbnailGenerator.IsImageName("IMG_0001.HEIC"));
    }

    [Fact]
    public void Output_is_webp_by_default_and_jpeg_when_set()
    {
        var jpeg = TestImages.FourQuadrants(400, 300);

        var webp = Generate(Generator(), jpeg, ThumbnailSize.Small);
        var asJpeg = Generate(Generator(new MediaOptions { Format = ThumbnailFormat.Jpeg }), jpeg, ThumbnailSize.Small);

        Assert.Equal(SKEncodedImageFormat.Webp, Format(webp.Bytes));
        Assert.Equal(SKEncodedImageFormat.Jpeg, Format(asJpeg.Bytes));
    }

    [Fact]
    public void A_small_image_is_never_enlarged()
    {
        var made = Generate(Generator(), TestImages.FourQuadrants(100, 60, SKEncodedImageFormat.Png), ThumbnailSize.Large);

        Assert.Equal((100, 60), (made.Width, made.Height));
    }

    [Fact]
    public void A_24_megapixel_jpeg_is_decoded_at_an_eighth_for_the_small_size()
    {
        var made = Generate(Generator(), TestImages.FourQuadrants(6000, 4000), ThumbnailSize.Small);

        Assert.Equal((150, 100), (made.Width, made.Height));
        Assert.Equal((750, 500), (made.DecodedWidth, made.DecodedHeight));
    }

    // Where the stored image's top-left (red), top-right (green), bottom-left (blue) and bottom-right (yellow) quadrants
    // must appear once the orientation is applied, read top-left, top-right, bottom-left, bottom-right.
    [Theory]
    [InlineData(1, "RGBY")]
    [InlineData(2, "GRYB")]
    [InlineData(3, "YBGR")]
    [InlineData(4, "BYRG")]
    [InlineData(5, "RBGY")]
    [InlineData(6, "BRYG")]
    [InlineData(7, "YGBR")]
    [InlineData(8, "GYRB")]
    public void Each_exif_orientation_turns_the_pixels_upright(int orientation, string corners)
    {
        var jpeg = TestImages.WithOrientation(TestImages.FourQuadrants(400, 200), orientation);

        var made = Generate(Generator(), jpeg, ThumbnailSize.Small);

        using var bitmap = SKBitmap.Decode(made.Bytes);
        Assert.Equal(orientation >= 5 ? (75, 150) : (150, 75), (bitmap.Width, bitmap.Height));
        var (w, h) = (bitmap.Width, bitmap.Height);
        var seen = string.Concat(new[] { (w / 4, h / 4), (3 * w / 4, h / 4), (w / 4, 3 * h / 4), (3 * w / 4, 3 * h / 4) }
            .Select(p => Name(bitmap.GetPixel(p.Item1, p.Item2))));
        Assert.Equal(corners, seen);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Webp)]
    [InlineData(SKEncodedImageFormat.Bmp)]
    public void Png_webp_and_bmp_become_thumbnails(SKEncodedImageFormat format)
    {
        var made = Generate(Generator(), TestImages.FourQuadrants(600, 300, format), ThumbnailSize.Small);

        Assert.Equal((150, 75), (made.Width, made.Height));
    }

    [Fact]
    public void A_gif_gives_its_first_frame()
    {
        var made = Generate(Generator(), TestImages.TwoFrameGif(), ThumbnailSize.Small);

        using var bitmap = SKBitmap.Decode(made.Bytes);
        Assert.Equal("R", Name(bitmap.GetPixel(1, 1)));
    }

    [Fact]
    public void A_gif_of_thousands_of_frames_gives_its_first_frame_without_decoding_or_reading_the_rest()
    {
        var gif = TestImages.ManyFrameGif(5000);
        using var stream = new CountingStream(new MemoryStream(gif));

        var result = Generator().Generate(stream, ThumbnailSize.Small);

        Assert.True(result.IsSuccess, result.Error?.ToString());
        using var bitmap = SKBitmap.Decode(result.Value.Bytes);
        Assert.Equal("R", Name(bitmap.GetPixel(1, 1)));
        // One frame's pixels were allocated, and the frames after it were not even read (they are junk: decoding one fails).
        Assert.Equal((4, 4), (result.Value.DecodedWidth, result.Value.DecodedHeight));
        Assert.True(stream.BytesRead < gif.Length / 10, $"read {stream.BytesRead} of {gif.Length} bytes");
    }

    [Fact]
    public void A_png_declaring_100000_by_100000_pixels_is_refused_from_its_header()
    {
        var result = Generator().Generate(new MemoryStream(TestImages.PngHeaderOnly(100_000, 100_000)), ThumbnailSize.Small);

        Assert.Equal("media.too_large", result.Error?.Code);
    }

    public static TheoryData<string, byte[]> BadInputs() => new()
    {
        { "zero bytes", [] },
        { "a ZIP renamed .jpg", TestImages.Zip() },
        { "a truncated JPEG", TestImages.FourQuadrants(800, 600)[..3000] },
        { "a corrupt JPEG", TestImages.Corrupt(TestImages.FourQuadrants(800, 600)) },
        { "text", "not an image at all"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_a_stable_error_not_a_crash(string what, byte[] bytes)
    {
        var result = Generator().Generate(new MemoryStream(bytes), ThumbnailSize.Small);

        Assert.True(result.Error?.Code == "media.unreadable", $"{what}: {result.Error?.ToString() ?? "made a thumbnail"}");
    }

    private static GeneratedThumbnail Generate(ThumbnailGenerator generator, byte[] image, ThumbnailSize size)
    {
        var result = generator.Generate(new MemoryStream(image), size);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static SKEncodedImageFormat Format(byte[] bytes)
    {
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        return codec.EncodedFormat;
    }

    private static string Name(SKColor color) =>
        (color.Red > 160, color.Green > 160, color.Blue > 160) switch
        {
            (true, false, false) => "R",
            (false, true, false) => "G",
            (false, false, true) => "B",
            (true, true, false) => "Y",
            _ => $"?{color}",
        };
}

/// <summary>A read-only stream that counts the bytes read through it.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        BytesRead += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
