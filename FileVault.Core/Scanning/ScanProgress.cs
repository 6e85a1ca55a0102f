namespace FileVault.Core.Scanning;

/// <summary>Live counters of a running scan, updated by the walker threads and read by whoever reports progress.</summary>
public sealed class ScanProgress
{
    private long _seen;
    private long _errors;

    public long Seen => Interlocked.Read(ref _seen);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The folder a walker entered last.</summary>
    public string CurrentFolder { get; set; } = "";

    /// <summary>"walking", "merging", "done".</summary>
    public string Phase { get; set; } = "walking";

    internal void AddSeen(long count) => Interlocked.Add(ref _seen, count);

    internal void AddError() => Interlocked.Increment(ref _errors);
}
