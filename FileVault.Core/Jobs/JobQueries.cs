using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Locks;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Jobs;

/// <summary>What a job works on, read from its payload: the first item's name, how many items, and where they go.</summary>
public sealed record JobSubject(string? Name, int Count, string? Destination)
{
    public static readonly JobSubject None = new(null, 0, null);
}

/// <summary>One line of the Jobs page and of GET /api/v1/jobs.</summary>
public sealed record JobListItem(
    long Id, string Type, JobStatus Status, double Progress, string? ProgressText, string? Error, string? Summary, JobSubject Subject,
    Guid OwnerId, string? OwnerEmail, bool CancelRequested, bool Resumable,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    public bool CanCancel => Status is JobStatus.Queued or JobStatus.Running && !CancelRequested;

    /// <summary>Jobs run by the runner can run again; operations that ran inline in a request (new folder, rename) cannot.</summary>
    public bool CanRetry => Resumable && Status is JobStatus.Failed or JobStatus.Interrupted;

    /// <summary>The row with a live event's state (progress between the table's writes).</summary>
    public JobListItem With(JobEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return this with { Status = change.Status, Progress = change.Progress, ProgressText = change.Text, Error = change.Error ?? Error };
    }
}

/// <summary>
/// Jobs as their owners see them (R-AUTH-1): a user lists, reads, cancels and retries only their own jobs; another
/// user's job is not found. Admins see and act on everyone's. Changes are published so open pages follow.
/// </summary>
public sealed class JobQueries(IDbContextFactory<FileVaultDbContext> contexts, JobLedger ledger, JobEvents events, ResourceLocks locks)
{
    /// <summary>Most jobs one list returns.</summary>
    public const int MaxList = 200;

    /// <summary>The actor's jobs, newest first; with <paramref name="everyone"/>, an admin's list holds every user's.</summary>
    public async Task<IReadOnlyList<JobListItem>> ListAsync(AccessSubject actor, bool everyone, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var all = everyone && actor.IsAdministrator;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = await db.Jobs.AsNoTracking().Where(j => all || j.OwnerId == actor.UserId)
            .OrderByDescending(j => j.Id).Take(Math.Clamp(count, 1, MaxList)).ToListAsync(cancellationToken);
        var emails = await EmailsAsync(db, jobs, cancellationToken);
        return jobs.Select(j => ToItem(j, emails.GetValueOrDefault(j.OwnerId))).ToList();
    }

    public async Task<Result<JobListItem>> GetAsync(AccessSubject actor, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == id && (actor.IsAdministrator || j.OwnerId == actor.UserId), cancellationToken);
        return job is null ? NotFound : ToItem(job, (await EmailsAsync(db, [job], cancellationToken)).GetValueOrDefault(job.OwnerId));
    }

    /// <summary>A queued job never starts (its path locks are released now); a running one stops at its next safe point.</summary>
    public async Task<Result<JobListItem>> CancelAsync(AccessSubject actor, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var cancelled = await ledger.CancelAsync(actor.UserId, actor.IsAdministrator, id, cancellationToken);
        if (!cancelled.IsSuccess)
        {
            return cancelled.Error!;
        }

        var job = await ledger.GetAsync(id, cancellationToken);
        if (job is null)
        {
            return NotFound;
        }

        if (job.Status == JobStatus.Cancelled)
        {
            if (job.Locks is not null && JsonSerializer.Deserialize<HeldLocks>(job.Locks, JobRun.Json) is { } held)
            {
                await locks.ReleaseAsync(held);
            }

            await events.PublishAsync(JobEvent.From(job, JobStatus.Cancelled));
        }

        return await GetAsync(actor, id, cancellationToken);
    }

    /// <summary>A failed or interrupted job goes back to the queue and resumes from its checkpoint.</summary>
    public async Task<Result<JobListItem>> RetryAsync(AccessSubject actor, long id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var retried = await ledger.RetryAsync(actor.UserId, actor.IsAdministrator, id, cancellationToken);
        if (!retried.IsSuccess)
        {
            return retried.Error!;
        }

        var job = await GetAsync(actor, id, cancellationToken);
        if (job.IsSuccess)
        {
            await events.PublishAsync(new JobEvent(id, job.Value.OwnerId, job.Value.Type, JobStatus.Queued, job.Value.Progress, job.Value.ProgressText, null));
            await events.NotifyQueuedAsync();
        }

        return job;
    }

    private static readonly Error NotFound = new("job.not_found", "No such job.");

    private static async Task<Dictionary<Guid, string?>> EmailsAsync(FileVaultDbContext db, IReadOnlyList<Job> jobs, CancellationToken cancellationToken)
    {
        var owners = jobs.Select(j => j.OwnerId).Distinct().ToArray();
        return await db.Users.AsNoTracking().Where(u => owners.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, cancellationToken);
    }

    private static JobListItem ToItem(Job job, string? email) => new(
        job.Id, job.Type, job.Status, job.Progress, job.ProgressText, job.Error, job.Summary, Describe(job.Payload),
        job.OwnerId, email, job.CancelRequested, job.Queue != "operations",
        job.CreatedAt, job.StartedAt, job.FinishedAt);

    /// <summary>The subject of a job from its payload (move, copy, delete, restore, purge, new folder, rename, batch rename).</summary>
    internal static JobSubject Describe(string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return JobSubject.None;
            }

            var destination = Text(root, "destination");
            if (Array(root, "items") is { } items)
            {
                var first = items.Count == 0 ? null : Text(items[0], "name") ?? LastComponent(Text(items[0], "target"));
                return new JobSubject(first, items.Count, destination);
            }

            if (Array(root, "renames") is { } renames)
            {
                return new JobSubject(renames.Count == 0 ? null : Text(renames[0], "from"), renames.Count, null);
            }

            if (Array(root, "trashIds") is { } trashIds)
            {
                return new JobSubject(null, trashIds.Count, null);
            }

            if (Text(root, "from") is { } from)
            {
                return new JobSubject(LastComponent(from), 1, LastComponent(Text(root, "to")));
            }

            return Text(root, "name") is { } name ? new JobSubject(name, 1, null) : JobSubject.None;
        }
        catch (JsonException)
        {
            return JobSubject.None;
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static List<JsonElement>? Array(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : null;

    private static string? LastComponent(string? path) => path is null ? null : path[(path.LastIndexOf('/') + 1)..];
}
