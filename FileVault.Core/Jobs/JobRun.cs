using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Locks;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Jobs;

/// <summary>
/// What a handler gets while it runs one job: the job and its payload, its checkpoint, progress reporting (throttled,
/// pushed live to the owner's pages), the cancel request, and <see cref="GuardAsync"/>, the fencing check made before
/// each change to the disk.
/// </summary>
public sealed class JobRun
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    // How stale the owner's account (enabled, roles) may be when a step asks: one read per second at most.
    private static readonly TimeSpan OwnerInterval = TimeSpan.FromSeconds(1);

    private readonly JobLedger _ledger;
    private readonly JobEvents _events;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _cancel;
    private DateTimeOffset _lastReport = DateTimeOffset.MinValue;
    private AccessSubject? _owner;
    private DateTimeOffset _ownerReadAt = DateTimeOffset.MinValue;

    internal JobRun(Job job, ResourceLease? lease, JobLedger ledger, JobEvents events, TimeProvider time, CancellationTokenSource cancel)
    {
        Job = job;
        Lease = lease;
        _ledger = ledger;
        _events = events;
        _time = time;
        _cancel = cancel;
    }

    public Job Job { get; }

    /// <summary>The job's path locks; null for jobs that lock nothing.</summary>
    public ResourceLease? Lease { get; }

    /// <summary>Cancelled when the owner asks to cancel or the host stops: stop at the next safe point.</summary>
    public CancellationToken Stopping => _cancel.Token;

    /// <summary>True when this run picks up where a dead process left off.</summary>
    public bool IsResumed => Job.Checkpoint is not null || Job.Attempts > 1;

    public T Payload<T>() => JsonSerializer.Deserialize<T>(Job.Payload, Json) ?? throw new InvalidOperationException($"Job {Job.Id} has no payload.");

    public T? Checkpoint<T>() where T : class => Job.Checkpoint is null ? null : JsonSerializer.Deserialize<T>(Job.Checkpoint, Json);

    /// <summary>Saves the checkpoint in <paramref name="db"/>'s transaction, beside the catalog change of the same step.</summary>
    public Task SaveCheckpointAsync<T>(FileVaultDbContext db, T state, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(state, Json);
        Job.Checkpoint = json;
        return db.Jobs.Where(j => j.Id == Job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Checkpoint, json), cancellationToken);
    }

    /// <summary>Saves the checkpoint on its own (before a disk change whose outcome the next run must be able to find).</summary>
    public async Task SaveCheckpointAsync<T>(T state, CancellationToken cancellationToken)
    {
        await using var db = await _ledger.Contexts.CreateDbContextAsync(cancellationToken);
        await SaveCheckpointAsync(db, state, cancellationToken);
    }

    /// <summary>
    /// Asks, before a step changes anything, whether the job's owner may still do it: their account must be enabled,
    /// and <paramref name="check"/> is asked with their current roles (the caller's access evaluator sees their current
    /// grants). Null when allowed; otherwise why not, and the handler stops here, every file whole. A job was checked
    /// when it was requested, but an admin may revoke a grant or disable the account while it waits or runs.
    /// Jobs of the system itself (no owner, like the trash retention purge) act for no user and are always allowed.
    /// </summary>
    public async Task<Error?> AuthorizeAsync(Func<AccessSubject, Task<Error?>> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (Job.OwnerId == Guid.Empty)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (_owner is null || now - _ownerReadAt >= OwnerInterval)
        {
            await using var db = await _ledger.Contexts.CreateDbContextAsync(Stopping);
            _owner = await AccessSubjects.FindEnabledAsync(db, Job.OwnerId, Stopping);
            _ownerReadAt = now;
        }

        return _owner is null
            ? new Error("auth.owner_disabled", "The account that asked for this job is disabled or gone; nothing more was changed.")
            : await check(_owner);
    }

    /// <summary>Reports progress (at most four times a second unless <paramref name="force"/>); cancels <see cref="Stopping"/> when the owner asked to cancel.</summary>
    public async Task ReportAsync(long done, long total, string? text, bool force = false)
    {
        var now = _time.GetUtcNow();
        if (!force && now - _lastReport < ProgressInterval)
        {
            return;
        }

        _lastReport = now;
        var progress = total <= 0 ? 0 : Math.Clamp((double)done / total, 0, 1);
        Job.Progress = progress;
        Job.ProgressText = text;
        var keepGoing = await _ledger.ReportProgressAsync(Job.Id, progress, text, CancellationToken.None);
        await _events.PublishAsync(JobEvent.From(Job, JobStatus.Running));
        if (!keepGoing)
        {
            await _cancel.CancelAsync();
        }
    }

    /// <summary>
    /// The fencing check before a disk change: the run must not be cancelled, and the job's locks must still be its own (renewed now). Throws
    /// <see cref="JobLockLostException"/> when they are not, or Redis cannot be reached, so nothing changes unguarded.
    /// </summary>
    public async Task GuardAsync()
    {
        // A cancel request, or a claim lost to another run, stops the job here, before the change.
        _cancel.Token.ThrowIfCancellationRequested();
        if (Lease is not null && !await Lease.RenewAsync())
        {
            throw new JobLockLostException("The job's locks were lost (Redis unreachable or the lock expired); it stopped safely and resumes once they can be taken again.");
        }
    }
}
