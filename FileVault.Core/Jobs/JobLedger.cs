using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace FileVault.Core.Jobs;

/// <summary>Which run holds a job: the instance that claimed it and the attempt number the claim gave it.</summary>
public sealed record JobClaim(string Instance, int Attempt);

public enum Heartbeat
{
    Continue,
    CancelRequested,
    /// <summary>The job is no longer this run's: stop, touch nothing more, release nothing.</summary>
    ClaimLost,
}

public sealed record NewJob(string Type, string Queue, string Payload, string? IdempotencyKey = null, string? Locks = null);

/// <summary>
/// The jobs table as a queue: enqueue (idempotent per owner and key), claim with FOR UPDATE SKIP LOCKED so any number
/// of instances can pull work without taking the same job twice, progress with heartbeat, finish, cancel, and the
/// start-up sweep that marks the runs of dead processes interrupted.
/// </summary>
public sealed class JobLedger(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time)
{
    /// <summary>A running job whose heartbeat is older than this belonged to a process that died.</summary>
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromMinutes(2);

    internal IDbContextFactory<FileVaultDbContext> Contexts => contexts;

    public async Task<Result<long>> EnqueueAsync(Guid owner, NewJob job, CancellationToken cancellationToken)
    {
        if (job.IdempotencyKey is { Length: > 200 })
        {
            return new Error("job.idempotency_key_invalid", "An idempotency key has at most 200 characters.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One statement: a concurrent duplicate loses the unique index race and the winner's id is returned. The
        // winner can commit after this statement's snapshot was taken; the next attempt then sees it.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var id = await db.Database.SqlQuery<long>($"""
            WITH inserted AS (
                INSERT INTO jobs (type, queue, payload, owner_id, status, progress, attempts, idempotency_key, cancel_requested, created_at, locks)
                VALUES ({job.Type}, {job.Queue}, {job.Payload}::jsonb, {owner}, 0, 0, 0, {job.IdempotencyKey}, false, {time.GetUtcNow()}, {job.Locks}::jsonb)
                ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING id)
            SELECT id AS "Value" FROM inserted
            UNION ALL
            SELECT id FROM jobs WHERE owner_id = {owner} AND idempotency_key = {job.IdempotencyKey} AND NOT EXISTS (SELECT 1 FROM inserted)
            """).ToListAsync(cancellationToken);
            if (id.Count > 0)
            {
                return id[0];
            }
        }

        throw new InvalidOperationException($"Job {job.Type} with key {job.IdempotencyKey} was neither inserted nor found.");
    }

    /// <summary>The oldest queued job of a queue, now Running and claimed by <paramref name="instance"/>; null when none waits.</summary>
    /// <remarks>
    /// With <paramref name="types"/>, only jobs of those types: operations that run inline in the request (new folder,
    /// rename, batch rename) sit queued for a moment between their row and their start, and are not the runner's.
    /// </remarks>
    /// <summary>
    /// The queue of jobs run at once in the caller's request (new folder and rename from the API, an upload's
    /// completion). The runner never claims nor resumes them, though their types have handlers for queued jobs: such a
    /// job is queued only for the instant before its caller starts it, and one whose process died is left as it was
    /// (its change is one system call, which the next scan of the folder reconciles).
    /// </summary>
    public const string InlineQueue = "operations";

    public async Task<Job?> ClaimNextAsync(string queue, string instance, CancellationToken cancellationToken, IReadOnlyCollection<string>? types = null)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var typeList = types?.ToArray();
        var claimed = await db.Jobs.FromSql($"""
            UPDATE jobs SET status = 1, attempts = attempts + 1, claimed_by = {instance}, started_at = {now}, heartbeat_at = {now}
            WHERE id = (SELECT id FROM jobs WHERE queue = {queue} AND status = 0 AND ({typeList}::text[] IS NULL OR type = ANY({typeList}))
                          AND queue <> {InlineQueue}
                        ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);
        return claimed.SingleOrDefault();
    }

    /// <summary>
    /// A job that runs at once, in the caller, as it reads once recorded already Running and claimed by
    /// <paramref name="instance"/> (its <see cref="Job.Id"/> still to be set): for an operation with no idempotency key that
    /// many requests make (an upload's completion), whose caller inserts these values in a statement of its own, together
    /// with its first question, in one round trip and one commit instead of <see cref="EnqueueAsync"/> then
    /// <see cref="StartAsync"/>. No runner ever sees it queued.
    /// </summary>
    public static Job Started(Guid owner, NewJob job, string instance, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.IdempotencyKey is not null)
        {
            throw new ArgumentException("A job started at once carries no idempotency key; enqueue it instead.", nameof(job));
        }

        return new Job
        {
            Type = job.Type,
            Queue = job.Queue,
            Payload = job.Payload,
            OwnerId = owner,
            Status = JobStatus.Running,
            Progress = 0,
            Attempts = 1,
            CancelRequested = false,
            CreatedAt = now,
            StartedAt = now,
            HeartbeatAt = now,
            ClaimedBy = instance,
            Locks = job.Locks,
        };
    }

    /// <summary>Claims one particular queued job (an operation that runs at once, in the caller); null when it is not queued.</summary>
    public async Task<Job?> StartAsync(long id, string instance, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var started = await db.Jobs.FromSql($"""
            UPDATE jobs SET status = 1, attempts = attempts + 1, claimed_by = {instance}, started_at = {now}, heartbeat_at = {now}
            WHERE id = {id} AND status = 0
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);
        return started.SingleOrDefault();
    }

    public async Task<Job?> FindAsync(Guid owner, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.OwnerId == owner && j.IdempotencyKey == idempotencyKey, cancellationToken);
    }

    /// <summary>The ids of the owner's jobs whose idempotency key starts with <paramref name="prefix"/> (one request made one job per root).</summary>
    public async Task<IReadOnlyList<long>> FindByKeyPrefixAsync(Guid owner, string prefix, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.OwnerId == owner && j.IdempotencyKey != null && j.IdempotencyKey.StartsWith(prefix))
            .OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(cancellationToken);
    }

    public async Task<Job?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id, cancellationToken);
    }

    /// <summary>Records progress and the heartbeat; returns false when the owner asked to cancel (stop at a safe point).</summary>
    public async Task<bool> ReportProgressAsync(long id, double progress, string? text, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        await db.Jobs.Where(j => j.Id == id && j.Status == JobStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Progress, Math.Clamp(progress, 0, 1))
            .SetProperty(j => j.ProgressText, text)
            .SetProperty(j => j.HeartbeatAt, now), cancellationToken);
        return !await db.Jobs.AnyAsync(j => j.Id == id && j.CancelRequested, cancellationToken);
    }

    /// <summary>
    /// Ends a job. With <paramref name="claim"/> (the runner's), only while that claim still holds it: a run whose job
    /// was put back in the queue and claimed again must not overwrite the newer run's state. False when nothing changed.
    /// </summary>
    public async Task<bool> FinishAsync(
        long id, JobStatus status, string? error, CancellationToken cancellationToken, long? resultEntryId = null, string? summary = null, JobClaim? claim = null)
    {
        if (status is JobStatus.Queued or JobStatus.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A job finishes in a final state.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        return await Claimed(db.Jobs.Where(j => j.Id == id), claim).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, status)
            .SetProperty(j => j.Error, error)
            .SetProperty(j => j.ResultEntryId, resultEntryId)
            .SetProperty(j => j.Summary, summary)
            .SetProperty(j => j.Progress, j => status == JobStatus.Succeeded ? 1 : j.Progress)
            .SetProperty(j => j.FinishedAt, now), cancellationToken) > 0;
    }

    /// <summary>
    /// A run stops before its next disk change because its locks are gone (Redis unreachable, lease expired): the job
    /// waits, Interrupted with the reason, for recovery to queue it again, and resumes from its checkpoint once its
    /// locks can be taken again (R-OP-5). False when the claim no longer holds the job.
    /// </summary>
    public async Task<bool> InterruptAsync(long id, string reason, JobClaim claim, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Claimed(db.Jobs.Where(j => j.Id == id), claim).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Interrupted)
            .SetProperty(j => j.Error, reason)
            .SetProperty(j => j.ClaimedBy, (string?)null), cancellationToken) > 0;
    }

    private static IQueryable<Job> Claimed(IQueryable<Job> jobs, JobClaim? claim) =>
        claim is null ? jobs : jobs.Where(j => j.Status == JobStatus.Running && j.ClaimedBy == claim.Instance && j.Attempts == claim.Attempt);

    /// <summary>
    /// The owner (or an admin) cancels: a queued job never starts, a running one is asked to stop at its next safe
    /// point. Another user's job answers not found (R-AUTH-1).
    /// </summary>
    public async Task<Result<JobStatus>> CancelAsync(Guid actor, bool actorIsAdmin, long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mine = db.Jobs.Where(j => j.Id == id && (actorIsAdmin || j.OwnerId == actor));
        // Each step is one conditional UPDATE, so a runner claiming the job in between cannot be overwritten: a job
        // claimed a moment ago is no longer Queued, and is asked to stop instead of being called cancelled while it runs.
        if (await mine.Where(j => j.Status == JobStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.FinishedAt, time.GetUtcNow()), cancellationToken) == 1)
        {
            return JobStatus.Cancelled;
        }

        if (await mine.Where(j => j.Status == JobStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), cancellationToken) == 1)
        {
            return JobStatus.Running;
        }

        return await mine.AnyAsync(cancellationToken)
            ? new Error("job.finished", "The job has already finished.")
            : new Error("job.not_found", "No such job.");
    }

    /// <summary>Whether any job is queued, running or interrupted (waiting to be resumed).</summary>
    public async Task<bool> HasUnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AnyAsync(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Running || j.Status == JobStatus.Interrupted, cancellationToken);
    }

    /// <summary>Start-up: running jobs without a recent heartbeat belonged to a dead process; mark them for their handlers.</summary>
    public async Task<int> MarkAbandonedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stale = time.GetUtcNow() - HeartbeatTimeout;
        return await db.Jobs
            .Where(j => j.Status == JobStatus.Running && (j.HeartbeatAt == null || j.HeartbeatAt < stale))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Interrupted), cancellationToken);
    }

    /// <summary>
    /// The runner's heartbeat for a job it runs under <paramref name="claim"/>: whether to go on, stop because the owner
    /// cancelled, or stop because the claim was lost (the job was recovered as abandoned and may run elsewhere now).
    /// </summary>
    public async Task<Heartbeat> HeartbeatAsync(long id, JobClaim claim, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (await Claimed(db.Jobs.Where(j => j.Id == id), claim).ExecuteUpdateAsync(s => s.SetProperty(j => j.HeartbeatAt, now), cancellationToken) == 0)
        {
            return Heartbeat.ClaimLost;
        }

        return await db.Jobs.AnyAsync(j => j.Id == id && j.CancelRequested, cancellationToken) ? Heartbeat.CancelRequested : Heartbeat.Continue;
    }

    /// <summary>
    /// The host is stopping: a job still held under <paramref name="claim"/> goes back to the queue, keeping its
    /// checkpoint, for the next start to resume. One recovered and claimed by another run meanwhile stays theirs.
    /// </summary>
    public async Task RequeueAsync(long id, JobClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await Claimed(db.Jobs.Where(j => j.Id == id), claim)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.ClaimedBy, (string?)null), cancellationToken);
    }

    /// <summary>
    /// Jobs of dead processes — interrupted, or running without a heartbeat for <paramref name="timeout"/> — go back
    /// to the queue when a handler can resume them; the others (single-step operations that ran inline) fail, their
    /// change either whole or not made, for the next scan to reconcile.
    /// </summary>
    /// <remarks>Jobs in <paramref name="runningHere"/> are this process's own, alive though their heartbeat lags (a long GC pause, a slow database): never recovered.</remarks>
    public async Task<(int Resumed, int Failed)> RecoverAsync(
        IReadOnlyCollection<string> resumableTypes, TimeSpan timeout, IReadOnlyCollection<long> runningHere, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stale = time.GetUtcNow() - timeout;
        var types = resumableTypes.ToArray();
        var own = runningHere.ToArray();
        var resumed = await db.Jobs
            .Where(j => (j.Status == JobStatus.Interrupted || (j.Status == JobStatus.Running && (j.HeartbeatAt == null || j.HeartbeatAt < stale)))
                        && types.Contains(j.Type) && j.Queue != InlineQueue && !own.Contains(j.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.ClaimedBy, (string?)null), cancellationToken);
        // An inline job (the API's new folder and rename, run in the request: InlineQueue) is never resumed; one whose
        // request died with its process — queued and never started, or started and never finished, longer ago than the
        // timeout, where the real thing takes milliseconds — fails like the others, its change whole or not made.
        var failed = await db.Jobs
            .Where(j => !own.Contains(j.Id) && (
                ((j.Status == JobStatus.Interrupted || (j.Status == JobStatus.Running && (j.HeartbeatAt == null || j.HeartbeatAt < stale)))
                 && !types.Contains(j.Type) && j.Queue != InlineQueue)
                || (j.Queue == InlineQueue && ((j.Status == JobStatus.Queued && j.CreatedAt < stale)
                                               || ((j.Status == JobStatus.Running || j.Status == JobStatus.Interrupted) && (j.HeartbeatAt == null || j.HeartbeatAt < stale))))))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Failed)
                .SetProperty(j => j.Error, "Its process stopped while it ran; it was rolled back.")
                .SetProperty(j => j.FinishedAt, time.GetUtcNow()), cancellationToken);
        return (resumed, failed);
    }

    /// <summary>Queues with work waiting.</summary>
    public async Task<IReadOnlyList<string>> QueuesWithWorkAsync(IReadOnlyCollection<string> types, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var typeList = types.ToArray();
        return await db.Jobs.Where(j => j.Status == JobStatus.Queued && typeList.Contains(j.Type)).Select(j => j.Queue).Distinct().ToListAsync(cancellationToken);
    }

    /// <summary>The locks of queued jobs, to keep them held while the jobs wait for a slot.</summary>
    public async Task<IReadOnlyList<string>> QueuedLocksAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.Where(j => j.Status == JobStatus.Queued && j.Locks != null).Select(j => j.Locks!).ToListAsync(cancellationToken);
    }

    public async Task SaveLocksAsync(long id, string? locks, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Locks, locks), cancellationToken);
    }

    /// <summary>The owner (or an admin) runs a failed or interrupted job again; it resumes from its checkpoint.</summary>
    public async Task<Result<long>> RetryAsync(Guid actor, bool actorIsAdmin, long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.SingleOrDefaultAsync(j => j.Id == id && (actorIsAdmin || j.OwnerId == actor), cancellationToken);
        if (job is null)
        {
            return new Error("job.not_found", "No such job.");
        }

        if (job.Status is not (JobStatus.Failed or JobStatus.Interrupted) || job.Queue == "operations")
        {
            return new Error("job.not_retryable", "Only a failed or interrupted job can be retried.");
        }

        job.Status = JobStatus.Queued;
        job.Error = null;
        job.FinishedAt = null;
        job.CancelRequested = false;
        await db.SaveChangesAsync(cancellationToken);
        return job.Id;
    }

    public async Task<IReadOnlyList<Job>> ListAsync(Guid actor, bool actorIsAdmin, int count, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => actorIsAdmin || j.OwnerId == actor)
            .OrderByDescending(j => j.Id)
            .Take(count)
            .ToListAsync(cancellationToken);
    }
}
