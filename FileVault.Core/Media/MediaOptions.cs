using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Media;

/// <summary>The encoding thumbnails are stored and served in.</summary>
public enum ThumbnailFormat
{
    Webp,
    Jpeg,
}

/// <summary>FileVault:Media in appsettings.json.</summary>
public sealed class MediaOptions
{
    /// <summary>WebP (smaller at the same quality) or JPEG (for clients that cannot show WebP).</summary>
    public ThumbnailFormat Format { get; set; } = ThumbnailFormat.Webp;

    /// <summary>Encoder quality, 1 to 100.</summary>
    [Range(1, 100)]
    public int Quality { get; set; } = 80;

    /// <summary>
    /// Largest image, in pixels (width × height as its header declares), that is decoded at all: anything larger is
    /// refused before a byte of it is decoded, so a tiny file declaring 100,000 × 100,000 pixels cannot take the memory.
    /// </summary>
    [Range(1, 1_000_000_000)]
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>How long a thumbnail stays in Redis after it was made.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Redis's share for thumbnails, in bytes: when the thumbnails stored by FileVault add up to more, the oldest are
    /// dropped (counted per thumbnail as stored; an expired one counts until it is dropped, so the real use is at most this).
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)]
    public long CacheMaxBytes { get; set; } = 1L << 30;

    /// <summary>A thumbnail larger than this is not put in Redis (it is still served, and kept in the thumbnail folder when there is one).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int CacheMaxEntryBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// An optional folder, outside every storage root, where thumbnails are also kept, so a Redis flush or restart does
    /// not make them all again. Empty: Redis only.
    /// </summary>
    public string? ThumbnailDirectory { get; set; }

    /// <summary>When the thumbnail folder is swept of thumbnails no entry needs any more (Coravel cron; UTC).</summary>
    [Required]
    public string FolderSweepCron { get; set; } = "40 * * * *";

    /// <summary>Entry folders one sweep looks at, at most (about; it finishes the current chunk of 500); the next run goes on from there.</summary>
    [Range(1, 10_000_000)]
    public int FolderSweepEntriesPerRun { get; set; } = 20_000;

    /// <summary>How long one instance may hold the right to make a thumbnail before another may make it too.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan GenerationLockTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Thumbnails decoded at the same time by this instance; 0 means one fewer than the processor count (at least 1).</summary>
    [Range(0, 256)]
    public int MaxConcurrentGenerations { get; set; }

    /// <summary>How long a browser may keep a thumbnail without asking again (Cache-Control max-age).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan BrowserMaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The sizes the background queue makes of every new or changed image (after an upload or a scan), with its EXIF.
    /// Small and Medium are what the grid shows; Large (the viewer) is made when first opened, so a scan of many photos
    /// does not fill the cache with 800 px images few will look at.
    /// </summary>
    /// <remarks>A comma-separated list of small, medium, large; empty makes only the EXIF (a string, not an array: bound arrays add to their default).</remarks>
    [RegularExpression("^\\s*((small|medium|large)\\s*(,\\s*(small|medium|large)\\s*)*)?$", ErrorMessage = "QueuedSizes lists small, medium and large, separated by commas.")]
    public string QueuedSizes { get; set; } = "small,medium";

    internal IReadOnlyList<ThumbnailSize> QueuedSizeList =>
        QueuedSizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ThumbnailSizes.Parse).OfType<ThumbnailSize>().Distinct().ToList();

    /// <summary>Images per background job: one job's images come from one folder, in name order.</summary>
    [Range(1, 10_000)]
    public int QueueBatchSize { get; set; } = 100;

    internal int GenerationSlots => MaxConcurrentGenerations > 0 ? MaxConcurrentGenerations : Math.Max(1, Environment.ProcessorCount - 1);
}
