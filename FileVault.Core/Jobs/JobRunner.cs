using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Jobs;

/// <summary>
/// Runs the jobs table: claims queued jobs (any instance, FOR UPDATE SKIP LOCKED) within each queue's concurrency
/// limit, keeps their heartbeats and path locks alive, finishes them, and on start and every heartbeat timeout puts
/// the jobs of dead processes back in the queue for their handlers to resume.
/// </summary>
/// <remarks>
/// Coravel's queue is in memory, consumed by one loop at a fixed delay, without per-queue limits; durable jobs that any
/// instance can claim and a crash can resume need the table as the queue, so this loop is ours. Coravel still runs
/// the schedules (scans, trash purge), which enqueue here.
/// </remarks>
public sealed class JobRunner(
    IServiceScopeFactory scopes,
    JobLedger ledger,
    JobEvents events,
    ResourceLocks locks,
    ScanMonitor instance,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, int> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Task> _tasks = new();
    private readonly SemaphoreSlim _wake = new(0);
    // The host's stopping token itself, not a copy kept in a CancellationTokenSource of ours: a callback cancelling
    // such a copy could run after it was disposed, and failed the host's stop.
    private CancellationToken _stopping;
    private IReadOnlyCollection<string> _types = [];

    /// <summary>Jobs running in this instance.</summary>
    public int RunningCount => _tasks.Count;

    /// <summary>
    /// Returns once no job has been queued, running or interrupted, in the ledger or in this instance, for
    /// <paramref name="quietFor"/> (checked every tenth of a second): the "jobs --until-idle" command's exit.
    /// </summary>
    public async Task WaitUntilIdleAsync(TimeSpan quietFor, CancellationToken cancellationToken)
    {
        var idleSince = time.GetTimestamp();
        while (time.GetElapsedTime(idleSince) < quietFor)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            if (RunningCount > 0 || await ledger.HasUnfinishedAsync(cancellationToken))
            {
                idleSince = time.GetTimestamp();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.RunnerEnabled)
        {
            return;
        }

        using (var scope = scopes.CreateScope())
        {
            _types = scope.ServiceProvider.GetServices<IJobHandler>().Select(h => h.Type).ToArray();
        }

        events.Queued += Wake;
        _stopping = stoppingToken;
        var nextRecovery = DateTimeOffset.MinValue;
        var nextRenewal = DateTimeOffset.MinValue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var now = time.GetUtcNow();
                    if (now >= nextRecovery)
                    {
                        nextRecovery = now + settings.HeartbeatTimeout / 2;
                        var (resumed, failed) = await ledger.RecoverAsync(_types, settings.HeartbeatTimeout, _tasks.Keys.ToArray(), stoppingToken);
                        if (resumed + failed > 0)
                        {
                            logger.LogWarning("Jobs of stopped processes: {Resumed} queued to resume, {Failed} rolled back", resumed, failed);
                        }
                    }

                    if (now >= nextRenewal)
                    {
                        nextRenewal = now + settings.HeartbeatInterval;
                        await RenewQueuedLocksAsync(settings);
                    }

                    await ClaimAsync(settings, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // PostgreSQL restarting: keep polling.
                    logger.LogWarning("Job runner loop: {Reason}", ex.Message);
                }

                await _wake.WaitAsync(settings.PollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            events.Queued -= Wake;
            await Task.WhenAll(_tasks.Values);
        }
    }

    private void Wake() => _wake.Release();

    private async Task ClaimAsync(JobOptions settings, CancellationToken stoppingToken)
    {
        foreach (var queue in await ledger.QueuesWithWorkAsync(_types, stoppingToken))
        {
            while (_running.GetValueOrDefault(queue) < settings.ConcurrencyOf(queue))
            {
                var job = await ledger.ClaimNextAsync(queue, instance.InstanceId, stoppingToken, _types);
                if (job is null)
                {
                    break;
                }

                _running.AddOrUpdate(queue, 1, (_, n) => n + 1);
                _tasks[job.Id] = Task.Run(() => RunAsync(job, settings), CancellationToken.None);
            }
        }
    }

    private async Task RunAsync(Job job, JobOptions settings)
    {
        try
        {
            await RunJobAsync(job, settings);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} ({Type}) could not be finished", job.Id, job.Type);
        }
        finally
        {
            _running.AddOrUpdate(job.Queue, 0, (_, n) => Math.Max(0, n - 1));
            _tasks.TryRemove(job.Id, out _);
            Wake();
        }
    }

    private async Task RunJobAsync(Job job, JobOptions settings)
    {
        await using var scope = scopes.CreateAsyncScope();
        // Every change this run makes to the job's row holds only while the job is still this run's.
        var claim = new JobClaim(instance.InstanceId, job.Attempts);
        var handler = scope.ServiceProvider.GetServices<IJobHandler>().FirstOrDefault(h => h.Type == job.Type);
        if (handler is null)
        {
            await FinishAsync(job, new JobOutcome(JobStatus.Failed, $"No handler for jobs of type {job.Type}."), claim);
            return;
        }

        ResourceLease? lease = null;
        if (job.Locks is not null)
        {
            var held = JsonSerializer.Deserialize<HeldLocks>(job.Locks, JobRun.Json)!;
            var resumed = await locks.ResumeAsync(held, settings.LockTtl, CancellationToken.None);
            if (!resumed.IsSuccess)
            {
                if (resumed.Error!.Code == "lock.unavailable")
                {
                    // Redis is still away: wait for the next recovery round rather than give up (R-OP-5).
                    await InterruptAsync(job, "Waiting for the locks: " + resumed.Error.Message, claim);
                    return;
                }

                await FinishAsync(job, new JobOutcome(JobStatus.Failed, resumed.Error.Message), claim);
                return;
            }

            lease = resumed.Value;
            if (lease.Token != held.Token)
            {
                await ledger.SaveLocksAsync(job.Id, JsonSerializer.Serialize(lease.ToHeld(), JobRun.Json), CancellationToken.None);
            }
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        var run = new JobRun(job, lease, ledger, events, time, cancel);
        using var heartbeat = new CancellationTokenSource();
        var claimLost = new StrongBox<bool>();
        var beating = HeartbeatAsync(job.Id, claim, claimLost, lease, cancel, settings.HeartbeatInterval, heartbeat.Token);
        JobOutcome outcome;
        try
        {
            logger.LogInformation("Job {JobId} ({Type}) started, attempt {Attempt}", job.Id, job.Type, job.Attempts);
            await events.PublishAsync(JobEvent.From(job, JobStatus.Running));
            outcome = await handler.RunAsync(run);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            outcome = new JobOutcome(JobStatus.Queued);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            outcome = JobOutcome.Cancelled();
        }
        catch (JobLockLostException ex)
        {
            outcome = new JobOutcome(JobStatus.Interrupted, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} ({Type}) failed", job.Id, job.Type);
            outcome = JobOutcome.Failed(ex.Message);
        }
        finally
        {
            await heartbeat.CancelAsync();
            await beating;
        }

        if (claimLost.Value)
        {
            // Recovered as abandoned while it ran (its heartbeats did not land): the job and its lease are another run's now.
            logger.LogWarning("Job {JobId} ({Type}) stopped: its claim was taken over after missed heartbeats", job.Id, job.Type);
            return;
        }

        if (_stopping.IsCancellationRequested && outcome.Status is JobStatus.Queued or JobStatus.Cancelled && !await CancelRequestedAsync(job.Id))
        {
            // The host stops: the job waits for the next start, its locks expire meanwhile and are taken again then.
            await ledger.RequeueAsync(job.Id, claim, CancellationToken.None);
            logger.LogInformation("Job {JobId} ({Type}) put back in the queue: the host is stopping", job.Id, job.Type);
            return;
        }

        if (outcome.Status == JobStatus.Interrupted)
        {
            // Every file is whole (the guard stopped it before a change); the lease is retaken under its token on resume.
            await InterruptAsync(job, outcome.Error!, claim);
            return;
        }

        if (await FinishAsync(job, outcome, claim) && lease is not null)
        {
            await lease.DisposeAsync();
        }
    }

    private async Task<bool> CancelRequestedAsync(long id) => (await ledger.GetAsync(id, CancellationToken.None))?.CancelRequested ?? false;

    private async Task InterruptAsync(Job job, string reason, JobClaim claim)
    {
        if (await ledger.InterruptAsync(job.Id, reason, claim, CancellationToken.None))
        {
            logger.LogWarning("Job {JobId} ({Type}) interrupted, to resume later: {Reason}", job.Id, job.Type, reason);
            job.Error = reason;
            await events.PublishAsync(JobEvent.From(job, JobStatus.Interrupted));
        }
    }

    private async Task<bool> FinishAsync(Job job, JobOutcome outcome, JobClaim claim)
    {
        var summary = outcome.Summary is null ? null : JsonSerializer.Serialize(outcome.Summary, JobRun.Json);
        if (!await ledger.FinishAsync(job.Id, outcome.Status, outcome.Error, CancellationToken.None, outcome.ResultEntryId, summary, claim))
        {
            logger.LogWarning("Job {JobId} ({Type}) ended {Status} but is no longer this run's; its state is left to the run that holds it", job.Id, job.Type, outcome.Status);
            return false;
        }

        job.Status = outcome.Status;
        job.Error = outcome.Error;
        job.Summary = summary;
        if (outcome.Status == JobStatus.Succeeded)
        {
            job.Progress = 1;
        }

        logger.LogInformation("Job {JobId} ({Type}) {Status} {Error}", job.Id, job.Type, outcome.Status, outcome.Error);
        await events.PublishAsync(JobEvent.From(job, outcome.Status));
        return true;
    }

    private async Task HeartbeatAsync(
        long id, JobClaim claim, StrongBox<bool> claimLost, ResourceLease? lease, CancellationTokenSource cancel, TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    var beat = await ledger.HeartbeatAsync(id, claim, stop);
                    if (beat != Heartbeat.Continue)
                    {
                        claimLost.Value = beat == Heartbeat.ClaimLost;
                        await cancel.CancelAsync();
                        if (claimLost.Value)
                        {
                            return;
                        }
                    }

                    if (lease is not null)
                    {
                        // A lost lease is noticed by the handler's next guard; nothing to do here.
                        await lease.RenewAsync();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogDebug("Heartbeat of job {JobId} missed: {Reason}", id, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RenewQueuedLocksAsync(JobOptions settings)
    {
        foreach (var json in await ledger.QueuedLocksAsync(CancellationToken.None))
        {
            var held = JsonSerializer.Deserialize<HeldLocks>(json, JobRun.Json);
            if (held is not null)
            {
                // Renew only: a lease that expired is taken again when its job is claimed.
                await locks.RenewAsync(held, settings.LockTtl);
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
