using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Jobs;

/// <summary>The queues of the job runner; each has its own concurrency limit (FileVault:Jobs:Concurrency).</summary>
public static class JobQueues
{
    public const string Upload = "upload";
    public const string Download = "download";
    public const string Delete = "delete";
    public const string Copy = "copy";
    public const string Move = "move";
    public const string Rename = "rename";
    public const string Compress = "compress";
    public const string Restore = "restore";
    public const string Scanner = "scanner";
    public const string Thumbnail = "thumbnail";
    public const string Index = "index";
    public const string Dedup = "dedup";
    public const string Cleanup = "cleanup";

    public static readonly IReadOnlyList<string> All =
        [Upload, Download, Delete, Copy, Move, Rename, Compress, Restore, Scanner, Thumbnail, Index, Dedup, Cleanup];
}

public sealed class JobOptions
{
    /// <summary>False in hosts that only enqueue (CLI commands, some tests): this process then runs no jobs.</summary>
    public bool RunnerEnabled { get; set; } = true;

    /// <summary>Jobs of one queue running at once in this instance; queues not listed run one at a time.</summary>
    public Dictionary<string, int> Concurrency { get; set; } = new(StringComparer.Ordinal)
    {
        [JobQueues.Upload] = 4,
        [JobQueues.Download] = 4,
        [JobQueues.Delete] = 2,
        [JobQueues.Copy] = 2,
        [JobQueues.Move] = 2,
        [JobQueues.Rename] = 2,
        [JobQueues.Compress] = 1,
        [JobQueues.Restore] = 2,
        // Thumbnails and EXIF of new images, one image at a time per job: one core stays free for browsing.
        [JobQueues.Thumbnail] = Math.Max(1, Environment.ProcessorCount - 1),
    };

    /// <summary>How often a running job's heartbeat is written, and its locks renewed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A running job without a heartbeat for this long belonged to a process that died: it is resumed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Expiry of a job's path locks; renewed every heartbeat.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LockTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the runner looks for work it was not told about (jobs enqueued while Redis was down).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    public int ConcurrencyOf(string queue) => Concurrency.TryGetValue(queue, out var limit) && limit > 0 ? limit : 1;
}
