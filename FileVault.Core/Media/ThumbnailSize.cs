namespace FileVault.Core.Media;

/// <summary>The three thumbnail sizes, by the length of their longest side.</summary>
public enum ThumbnailSize
{
    Small,
    Medium,
    Large,
}

public static class ThumbnailSizes
{
    /// <summary>The longest side in pixels: 150, 300 or 800.</summary>
    public static int Pixels(this ThumbnailSize size) => size switch
    {
        ThumbnailSize.Small => 150,
        ThumbnailSize.Medium => 300,
        ThumbnailSize.Large => 800,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, null),
    };

    /// <summary>Parses "small", "medium" or "large" (any case); null for anything else.</summary>
    public static ThumbnailSize? Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "small" => ThumbnailSize.Small,
        "medium" => ThumbnailSize.Medium,
        "large" => ThumbnailSize.Large,
        _ => null,
    };
}
