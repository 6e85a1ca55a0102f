using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Uploads;

/// <summary>FileVault:Uploads in appsettings.json.</summary>
public sealed class UploadOptions
{
    /// <summary>Largest file one upload may declare (Tus-Max-Size); default 50 GiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxSizeBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest body one PATCH may carry. It must fit nginx's <c>client_max_body_size</c> (64m in nginx.conf) and is the
    /// limit Kestrel applies to that request (R-DEG-5); clients send smaller chunks (the browser 5 MiB).
    /// </summary>
    [Range(1, int.MaxValue)]
    public long MaxChunkBytes { get; set; } = 64L * 1024 * 1024;

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
}
