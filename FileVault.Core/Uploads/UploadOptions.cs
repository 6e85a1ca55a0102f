using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Uploads;

/// <summary>FileVault:Uploads in appsettings.json.</summary>
public sealed class UploadOptions : IValidatableObject
{
    /// <summary>Largest file one upload may declare (Tus-Max-Size); default 50 GiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxSizeBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest body one PATCH may carry. It must fit nginx's <c>client_max_body_size</c> (64m in nginx.conf) and is the
    /// limit Kestrel applies to that request (R-DEG-5); clients send <see cref="ChunkBytes"/>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public long MaxChunkBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The chunk the browser sends per request, announced in <c>FileVault-Chunk-Size</c> by the tus discovery (OPTIONS);
    /// at most <see cref="MaxChunkBytes"/>. Each request costs the server a few round trips to PostgreSQL and an fsync
    /// whatever its size, so bigger chunks move a big file faster; and a request cut off mid-way keeps what arrived, so
    /// a big chunk loses nothing on a dropped connection. Lower it behind a proxy that limits request bodies further.
    /// </summary>
    [Range(64 * 1024, int.MaxValue)]
    public long ChunkBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How long an unfinished upload may wait for its next byte before the schedule deletes it (R-UP-7).</summary>
    [Range(1, 24 * 365)]
    public int ExpiryHours { get; set; } = 24;

    /// <summary>Unfinished uploads one user may have at once (R-UP-10, 429 <c>upload.too_many</c>).</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentPerUser { get; set; } = 20;

    /// <summary>Declared bytes of one user's unfinished uploads together (R-UP-10, 413 <c>upload.quota_exceeded</c>); default 100 GiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxStagingBytesPerUser { get; set; } = 100L * 1024 * 1024 * 1024;

    /// <summary>Cron of the schedule that deletes expired uploads and their staging files.</summary>
    [Required]
    public string ExpiryCron { get; set; } = "*/15 * * * *";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ChunkBytes > MaxChunkBytes)
        {
            yield return new ValidationResult($"ChunkBytes ({ChunkBytes}) must not pass MaxChunkBytes ({MaxChunkBytes}).", [nameof(ChunkBytes)]);
        }
    }
}
