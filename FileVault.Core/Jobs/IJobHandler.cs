namespace FileVault.Core.Jobs;

/// <summary>
/// Runs one type of job. <see cref="RunAsync"/> is called for a fresh job and again for one whose process died: it
/// reads its checkpoint and the disk, skips what is done and finishes the rest (or rolls it back), so a job killed at
/// any instant still ends with every file whole at exactly one place.
/// </summary>
public interface IJobHandler
{
    string Type { get; }

    Task<JobOutcome> RunAsync(JobRun run);
}

/// <summary>How a job ended: its final status, an error for the owner, the entry it produced, and a summary (JSON).</summary>
public sealed record JobOutcome(JobStatus Status, string? Error = null, long? ResultEntryId = null, object? Summary = null)
{
    public static JobOutcome Succeeded(object? summary = null, long? resultEntryId = null) => new(JobStatus.Succeeded, null, resultEntryId, summary);

    public static JobOutcome Failed(string error, object? summary = null) => new(JobStatus.Failed, error, null, summary);

    public static JobOutcome Cancelled(object? summary = null) => new(JobStatus.Cancelled, null, null, summary);
}

/// <summary>A job's path lock was lost (expired and taken, or Redis unreachable): the handler stops before its next disk change.</summary>
public sealed class JobLockLostException(string message) : Exception(message);
