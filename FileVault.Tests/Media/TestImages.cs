using System.Text;
using SkiaSharp;

namespace FileVault.Tests.Media;

/// <summary>One EXIF tag as written into a test JPEG: its id, TIFF type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL) and value bytes.</summary>
public sealed record ExifTag(ushort Id, ushort Type, uint Count, byte[] Value)
{
    public static ExifTag Ascii(ushort id, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value + "\0");
        return new ExifTag(id, 2, (uint)bytes.Length, bytes);
    }

    public static ExifTag Number(ushort id, ushort value) => new(id, 3, 1, BitConverter.GetBytes(value));

    public static ExifTag Rationals(ushort id, params (uint Numerator, uint Denominator)[] values) =>
        new(id, 5, (uint)values.Length, values.SelectMany(v => BitConverter.GetBytes(v.Numerator).Concat(BitConverter.GetBytes(v.Denominator))).ToArray());
}

/// <summary>Images made for tests with SkiaSharp, and JPEGs with an EXIF block written by hand (little-endian TIFF).</summary>
public static class TestImages
{
    public static readonly SKColor[] Quadrants = [SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow];

    /// <summary>An image in four colours: top-left red, top-right green, bottom-left blue, bottom-right yellow.</summary>
    public static byte[] FourQuadrants(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        var (w, h) = (width / 2f, height / 2f);
        for (var i = 0; i < 4; i++)
        {
            using var paint = new SKPaint { Color = Quadrants[i] };
            canvas.DrawRect(SKRect.Create(i % 2 * w, i / 2 * h, w, h), paint);
        }

        using var image = surface.Snapshot();
        if (format == SKEncodedImageFormat.Bmp)
        {
            using var bitmap = SKBitmap.FromImage(image);
            return Bmp(bitmap);
        }

        using var data = image.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>A 24-bit BMP (Skia decodes BMP but does not write it).</summary>
    private static byte[] Bmp(SKBitmap bitmap)
    {
        var stride = (bitmap.Width * 3 + 3) & ~3;
        var size = 54 + stride * bitmap.Height;
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("BM"u8);
        writer.Write(size);
        writer.Write(0);
        writer.Write(54);
        writer.Write(40);
        writer.Write(bitmap.Width);
        writer.Write(bitmap.Height);
        writer.Write((short)1);
        writer.Write((short)24);
        writer.Write(new byte[24]);
        for (var y = bitmap.Height - 1; y >= 0; y--)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                writer.Write([pixel.Blue, pixel.Green, pixel.Red]);
            }

            writer.Write(new byte[stride - bitmap.Width * 3]);
        }

        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>A JPEG with an APP1 EXIF block holding IFD0's tags, and the Exif and GPS sub-IFDs' when given.</summary>
    public static byte[] WithExif(byte[] jpeg, IReadOnlyList<ExifTag> ifd0, IReadOnlyList<ExifTag>? exif = null, IReadOnlyList<ExifTag>? gps = null)
    {
        var tiff = Tiff(ifd0, exif, gps);
        var app1 = new List<byte> { 0xFF, 0xE1 };
        var length = 2 + 6 + tiff.Length;
        app1.Add((byte)(length >> 8));
        app1.Add((byte)length);
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(tiff);
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>A 4 × 4 GIF of two frames: the first all red, the second all blue.</summary>
    public static byte[] TwoFrameGif()
    {
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        gif.AddRange([4, 0, 4, 0, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0xFF]);
        foreach (var index in new[] { 0, 1 })
        {
            gif.AddRange([0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
            gif.AddRange([0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2]);
            var data = GifPixels(16, index);
            gif.Add((byte)data.Length);
            gif.AddRange(data);
            gif.Add(0);
        }

        gif.Add(0x3B);
        return [.. gif];
    }

    /// <summary>
    /// A 4 × 4 GIF of <paramref name="frames"/> frames: the first all red, every later one's image data garbage (codes its
    /// LZW table cannot hold) padded to <paramref name="junkPerFrame"/> bytes, so a decoder that went past the first
    /// frame would fail and one that read them all would read megabytes.
    /// </summary>
    public static byte[] ManyFrameGif(int frames, int junkPerFrame = 250)
    {
        var gif = new List<byte>();
        gif.AddRange("GIF89a"u8.ToArray());
        gif.AddRange([4, 0, 4, 0, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0xFF]);
        gif.AddRange([0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        gif.AddRange([0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2]);
        var first = GifPixels(16, 0);
        gif.Add((byte)first.Length);
        gif.AddRange(first);
        gif.Add(0);
        for (var frame = 1; frame < frames; frame++)
        {
            gif.AddRange([0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
            gif.AddRange([0x2C, 0, 0, 0, 0, 4, 0, 4, 0, 0, 2]);
            for (var left = junkPerFrame; left > 0; left -= 255)
            {
                var block = Math.Min(255, left);
                gif.Add((byte)block);
                gif.AddRange(Enumerable.Repeat((byte)0xFF, block));
            }

            gif.Add(0);
        }

        gif.Add(0x3B);
        return [.. gif];
    }

    /// <summary>A PNG whose header declares <paramref name="width"/> × <paramref name="height"/> pixels, with a few bytes of data after it.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };
        var header = new List<byte>();
        header.AddRange(BigEndian(width));
        header.AddRange(BigEndian(height));
        header.AddRange([8, 6, 0, 0, 0]);
        Chunk(png, "IHDR", [.. header]);
        using var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(new byte[1000]);
        }

        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return [.. png];
    }

    /// <summary>A real ZIP archive (what a renamed .jpg may hold).</summary>
    public static byte[] Zip()
    {
        using var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("inside.txt").Open();
            entry.Write("zipped text"u8);
        }

        return stream.ToArray();
    }

    /// <summary>The JPEG with its frame header claiming zero rows and columns.</summary>
    public static byte[] Corrupt(byte[] jpeg)
    {
        var copy = jpeg.ToArray();
        for (var i = 2; i < copy.Length - 9; i++)
        {
            if (copy[i] == 0xFF && copy[i + 1] == 0xC0)
            {
                Array.Clear(copy, i + 5, 4);
                return copy;
            }
        }

        throw new InvalidOperationException("No SOF0 marker.");
    }

    /// <summary>
    /// A 600 × 400 JPEG as a camera writes it: Canon EOS R5 with an RF lens, 2026-11-20 14:30:15, 1/250 s at f/2.8,
    /// ISO 200, 50 mm, at 37°33'36" N 126°58'46.8" E (Seoul), orientation 1.
    /// </summary>
    public static byte[] CameraJpeg() => WithExif(FourQuadrants(600, 400),
        [ExifTag.Ascii(0x010F, "Canon"), ExifTag.Ascii(0x0110, "Canon EOS R5"), ExifTag.Number(0x0112, 1)],
        [
            ExifTag.Rationals(0x829A, (1, 250)),
            ExifTag.Rationals(0x829D, (28, 10)),
            ExifTag.Number(0x8827, 200),
            ExifTag.Ascii(0x9003, "2026:11:20 14:30:15"),
            ExifTag.Rationals(0x920A, (50, 1)),
            ExifTag.Ascii(0xA434, "RF24-105mm F4 L IS USM"),
        ],
        [
            ExifTag.Ascii(0x0001, "N"),
            ExifTag.Rationals(0x0002, (37, 1), (33, 1), (3600, 100)),
            ExifTag.Ascii(0x0003, "E"),
            ExifTag.Rationals(0x0004, (126, 1), (58, 1), (4680, 100)),
        ]);

    /// <summary>A 64 × 48 HEIC (HEVC still image), made once with ImageMagick 6 over libheif 1.15 (`convert -size 64x48 gradient:red-blue x.heic`).</summary>
    public static byte[] Heic() => Convert.FromBase64String(
        "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAaptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAEAAMAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHOAAEAAAAAAAAAQAACAAEAAAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADVaXBycAAAALNpcGNvAAAAc2h2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACdCAQEDcAAAAwCQAAADAAADAB6gIIEFlurkprmwIAAAAwAgAAADACEiAAEABkQBwXPAiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAQAAAADAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAAEhtZGF0AAAAPCgBrxOA9WciYbd0/LwROw/gaKCDI5FrmiAooVo6pYHddnveVzzIS6m2RFqTCPdH3kxKUZfzH7MaHPOF4A==");

    public static byte[] WithOrientation(byte[] jpeg, int orientation) => WithExif(jpeg, [ExifTag.Number(0x0112, (ushort)orientation)]);

    // LZW with 2-bit pixels: a clear code before every two pixels keeps every code 3 bits wide.
    private static byte[] GifPixels(int count, int index)
    {
        var codes = new List<int>();
        for (var i = 0; i < count; i += 2)
        {
            codes.AddRange([4, index, index]);
        }

        codes.Add(5);
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var code in codes)
        {
            buffer |= code << bits;
            bits += 3;
            while (bits >= 8)
            {
                bytes.Add((byte)buffer);
                buffer >>= 8;
                bits -= 8;
            }
        }

        if (bits > 0)
        {
            bytes.Add((byte)buffer);
        }

        return [.. bytes];
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static void Chunk(List<byte> png, string type, byte[] data)
    {
        png.AddRange(BigEndian(data.Length));
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.AddRange(typed);
        png.AddRange(BigEndian((int)Crc32(typed)));
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] Tiff(IReadOnlyList<ExifTag> ifd0, IReadOnlyList<ExifTag>? exif, IReadOnlyList<ExifTag>? gps)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("II"u8);
        writer.Write((ushort)42);
        writer.Write(8u);
        var pointers = new List<ExifTag>(ifd0);
        if (exif is not null)
        {
            pointers.Add(new ExifTag(0x8769, 4, 1, new byte[4]));
        }

        if (gps is not null)
        {
            pointers.Add(new ExifTag(0x8825, 4, 1, new byte[4]));
        }

        var slots = WriteIfd(writer, pointers);
        foreach (var (id, tags) in new[] { ((ushort)0x8769, exif), ((ushort)0x8825, gps) })
        {
            if (tags is null)
            {
                continue;
            }

            var at = (uint)stream.Position;
            stream.Position = slots[id];
            writer.Write(at);
            stream.Position = at;
            WriteIfd(writer, tags);
        }

        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>Writes an IFD at the current position, its long values right after it; returns where each tag's value field is.</summary>
    private static Dictionary<ushort, long> WriteIfd(BinaryWriter writer, IReadOnlyList<ExifTag> tags)
    {
        var stream = writer.BaseStream;
        var start = stream.Position;
        var data = start + 2 + 12 * tags.Count + 4;
        var slots = new Dictionary<ushort, long>();
        writer.Write((ushort)tags.Count);
        var pending = new List<(long At, byte[] Bytes)>();
        foreach (var tag in tags.OrderBy(t => t.Id))
        {
            writer.Write(tag.Id);
            writer.Write(tag.Type);
            writer.Write(tag.Count);
            slots[tag.Id] = stream.Position;
            if (tag.Value.Length <= 4)
            {
                writer.Write(tag.Value);
                writer.Write(new byte[4 - tag.Value.Length]);
            }
            else
            {
                writer.Write((uint)data);
                pending.Add((data, tag.Value));
                data += tag.Value.Length + (tag.Value.Length % 2);
            }
        }

        writer.Write(0u);
        foreach (var (at, bytes) in pending)
        {
            stream.Position = at;
            writer.Write(bytes);
            if (bytes.Length % 2 == 1)
            {
                writer.Write((byte)0);
            }
        }

        stream.Position = Math.Max(stream.Position, data);
        return slots;
    }
}
