namespace FileVault.Core.Devices;

/// <summary>Accepts JPEG, PNG and WebP by their magic bytes, never by the name or the browser's content type.</summary>
public static class DevicePhotoFormat
{
    public const int MaxBytes = 2 * 1024 * 1024;

    public static readonly Error TooLarge = new("photo.too_large", "A photo may be at most 2 MB.");
    public static readonly Error Unsupported = new("photo.unsupported", "Only JPEG, PNG and WebP photos are accepted.");

    public static Result<string> Detect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxBytes)
        {
            return TooLarge;
        }

        if (bytes.StartsWith((byte[])[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (bytes.StartsWith((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        return Unsupported;
    }
}
