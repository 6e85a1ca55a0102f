using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Operations;

/// <summary>A new folder job's input: the folder to create it in and its name (NFC).</summary>
internal sealed record CreateFolderPayload(int Root, long ParentId, string Name);

/// <summary>A rename job's input: the entry, its path when asked and the path it gets.</summary>
internal sealed record RenamePayload(int Root, long EntryId, string From, string To);

/// <summary>
/// Single-entry operations: new folder and rename. Each is a job row before the disk is touched (DESIGN invariant 4),
/// checks the acting user's current access, the root's health, and the name through the path guard, holds path locks,
/// lets the kernel decide name conflicts (no replace), then updates the catalog and the audit log in one transaction.
/// Two ways in, one set of checks and one change: <see cref="RequestCreateFolderAsync"/> and
/// <see cref="RequestRenameAsync"/> queue the job for the runner (the pages: job events, a toast, the list reloads when
/// it ends), whose handlers ask the same checks again for the job's owner before the change;
/// <see cref="CreateFolderAsync"/> and <see cref="RenameAsync"/> run the job in the caller's request and answer with
/// the entry (the REST API, whose answer is the entry, and an upload's missing folders), publishing the same job events.
/// A crash between the disk change and the catalog leaves the entry whole at its old or its new name (one system
/// call): a queued job is resumed by its handler, which finds the change made and catalogues it; an inline one is left
/// to the next scan of the folder.
/// </summary>
public sealed class EntryOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    AccessVersion accessVersion,
    ResourceLocks locks,
    JobLedger jobs,
    JobEvents events,
    WriteRequests requests,
    ScanMonitor instance,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<EntryOperations> logger)
{
    public const string CreateFolderJobType = "mkdir";
    public const string RenameJobType = "rename";

    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);

    /// <summary>Creates a folder named <paramref name="name"/> (stored in NFC) in a folder now; returns the new entry's id.</summary>
    public async Task<Result<long>> CreateFolderAsync(AccessSubject actor, long parentId, string name, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var plan = await PlanCreateFolderAsync(actor, parentId, name, cancellationToken);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        var folder = plan.Value;
        return await RunAsJobAsync(actor, CreateFolderJobType, folder.Root.Id, folder.Payload, idempotencyKey, [folder.Path],
            () => MakeFolderAsync(folder, actor.UserId, resumed: false, cancellationToken), cancellationToken);
    }

    /// <summary>Queues a job that creates a folder, after the same checks as <see cref="CreateFolderAsync"/>; returns the job's id (its result entry is the folder).</summary>
    public async Task<Result<long>> RequestCreateFolderAsync(AccessSubject actor, long parentId, string name, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await requests.ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var plan = await PlanCreateFolderAsync(actor, parentId, name, cancellationToken);
        return plan.IsSuccess
            ? await requests.EnqueueAsync(actor, CreateFolderJobType, JobQueues.Rename, plan.Value.Payload, plan.Value.Root, [plan.Value.Path], idempotencyKey, cancellationToken)
            : plan.Error!;
    }

    /// <summary>Renames a file or folder in place now; a folder's whole subtree follows in the catalog.</summary>
    public async Task<Result<long>> RenameAsync(AccessSubject actor, long entryId, string newName, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var plan = await PlanRenameAsync(actor, entryId, newName, cancellationToken);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        var rename = plan.Value;
        if (rename.Unchanged)
        {
            return rename.Entry.Id;
        }

        return await RunAsJobAsync(actor, RenameJobType, rename.Root.Id, rename.Payload, idempotencyKey, [rename.Entry.RelativePath, rename.NewPath],
            () => MoveToNewNameAsync(rename, actor.UserId, resumed: false, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Queues a job that renames an entry, after the same checks as <see cref="RenameAsync"/>; returns the job's id.
    /// A name equal to the current one (in NFC) is <c>rename.unchanged</c>: there is nothing to do.
    /// </summary>
    public async Task<Result<long>> RequestRenameAsync(AccessSubject actor, long entryId, string newName, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await requests.ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var plan = await PlanRenameAsync(actor, entryId, newName, cancellationToken);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        var rename = plan.Value;
        return rename.Unchanged
            ? new Error("rename.unchanged", "That is already its name; nothing was changed.")
            : await requests.EnqueueAsync(actor, RenameJobType, JobQueues.Rename, rename.Payload, rename.Root, [rename.Entry.RelativePath, rename.NewPath],
                idempotencyKey, cancellationToken);
    }

    /// <summary>A queued new folder job: the checks again for its owner as they are now, then the change.</summary>
    internal async Task<JobOutcome> RunCreateFolderJobAsync(JobRun run)
    {
        var payload = run.Payload<CreateFolderPayload>();
        if (run.IsResumed && await CataloguedFolderAsync(payload, run.Stopping) is { } catalogued)
        {
            // The catalog change landed before the process died.
            return JobOutcome.Succeeded(resultEntryId: catalogued);
        }

        FolderPlan? plan = null;
        var denied = await run.AuthorizeAsync(async owner =>
        {
            var planned = await PlanCreateFolderAsync(owner, payload.ParentId, payload.Name, run.Stopping);
            plan = planned.IsSuccess ? planned.Value : null;
            return planned.Error;
        });
        if (plan is null || denied is not null)
        {
            return JobOutcome.Failed((denied?.Message ?? "The job has no owner.") + " Nothing was changed.");
        }

        await run.GuardAsync();
        var made = await MakeFolderAsync(plan, run.Job.OwnerId, run.IsResumed, run.Stopping);
        return made.IsSuccess ? JobOutcome.Succeeded(resultEntryId: made.Value) : JobOutcome.Failed(made.Error!.Message);
    }

    /// <summary>A queued rename job: the checks again for its owner as they are now, then the change.</summary>
    internal async Task<JobOutcome> RunRenameJobAsync(JobRun run)
    {
        var payload = run.Payload<RenamePayload>();
        RenamePlan? plan = null;
        var denied = await run.AuthorizeAsync(async owner =>
        {
            var planned = await PlanRenameAsync(owner, payload.EntryId, payload.To[(payload.To.LastIndexOf('/') + 1)..], run.Stopping);
            plan = planned.IsSuccess ? planned.Value : null;
            return planned.Error;
        });
        if (plan is null || denied is not null)
        {
            return JobOutcome.Failed((denied?.Message ?? "The job has no owner.") + " Nothing was changed.");
        }

        if (plan.Unchanged)
        {
            // A resumed run whose catalog change landed before the process died.
            return JobOutcome.Succeeded(resultEntryId: plan.Entry.Id);
        }

        await run.GuardAsync();
        var renamed = await MoveToNewNameAsync(plan, run.Job.OwnerId, run.IsResumed, run.Stopping);
        return renamed.IsSuccess ? JobOutcome.Succeeded(resultEntryId: renamed.Value) : JobOutcome.Failed(renamed.Error!.Message);
    }

    private async Task<long?> CataloguedFolderAsync(CreateFolderPayload payload, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == payload.ParentId && e.Name == payload.Name && e.Kind == EntryKind.Directory && e.State == EntryState.Active)
            .Select(e => (long?)e.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private sealed record FolderPlan(StorageRoot Root, Entry Parent, string Name, string Path, string OnDisk)
    {
        public CreateFolderPayload Payload => new(Root.Id, Parent.Id, Name);
    }

    private sealed record RenamePlan(StorageRoot Root, Entry Entry, long ParentId, string Name, string NewPath, string Source, string Destination, bool Unchanged)
    {
        public RenamePayload Payload => new(Root.Id, Entry.Id, Entry.RelativePath, NewPath);
    }

    /// <summary>Everything a new folder needs checked by the actor's access as it is now: the folder, the name, its place on disk.</summary>
    private async Task<Result<FolderPlan>> PlanCreateFolderAsync(AccessSubject actor, long parentId, string name, CancellationToken cancellationToken)
    {
        var target = await PrepareAsync(actor, parentId, requireFolder: true, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error!;
        }

        var (parent, root) = target.Value;
        var nfcName = name.Normalize(NormalizationForm.FormC);
        var destination = await CheckNewNameAsync(actor, root, parent, parent.Id, nfcName, excludeId: null, cancellationToken);
        return destination.IsSuccess
            ? new FolderPlan(root, parent, nfcName, CatalogChanges.Join(parent.RelativePath, nfcName), destination.Value)
            : destination.Error!;
    }

    /// <summary>Everything a rename needs checked by the actor's access as it is now: the entry, its folder, the new name, both places on disk.</summary>
    private async Task<Result<RenamePlan>> PlanRenameAsync(AccessSubject actor, long entryId, string newName, CancellationToken cancellationToken)
    {
        var target = await PrepareAsync(actor, entryId, requireFolder: false, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error!;
        }

        var (entry, root) = target.Value;
        if (entry.ParentId is not { } parentId || entry.RelativePath.Length == 0)
        {
            return new Error("entry.root", "The root itself cannot be renamed here.");
        }

        if (!entry.NameIsValid)
        {
            return new Error("path.invalid_name", "This entry's name on the server is not valid UTF-8; rename it on the server.");
        }

        var nfcName = newName.Normalize(NormalizationForm.FormC);
        var parentPath = CatalogChanges.ParentOf(entry.RelativePath);
        var newPath = CatalogChanges.Join(parentPath, nfcName);
        if (nfcName == entry.Name)
        {
            return new RenamePlan(root, entry, parentId, nfcName, newPath, "", "", Unchanged: true);
        }

        var parentEntry = new Entry { Name = "", NameKey = "", RelativePath = parentPath, RootId = root.Id, Id = parentId };
        // A case-only (or NFC/NFD-only) rename of the same entry is allowed: it conflicts with no one but itself.
        var destination = await CheckNewNameAsync(actor, root, parentEntry, parentId, nfcName, excludeId: entry.Id, cancellationToken);
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        var sourceOnDisk = PathGuard.ResolveForWrite(root.Path, entry.RelativePath);
        return sourceOnDisk.IsSuccess
            ? new RenamePlan(root, entry, parentId, nfcName, newPath, sourceOnDisk.Value, destination.Value, Unchanged: false)
            : sourceOnDisk.Error!;
    }

    /// <summary>
    /// mkdir, then the folder's row, its parent's stamp and an audit row in one transaction. A resumed job finds its own
    /// folder made before the process died (a folder at the name, not a link) and only catalogues it.
    /// </summary>
    private async Task<Result<long>> MakeFolderAsync(FolderPlan plan, Guid actorId, bool resumed, CancellationToken cancellationToken)
    {
        var errno = NativeFileSystem.CreateDirectory(plan.OnDisk, NativeFileSystem.NewFolderMode);
        var madeBefore = errno == NativeFileSystem.EExist && resumed && Directory.Exists(plan.OnDisk) && new DirectoryInfo(plan.OnDisk).LinkTarget is null;
        if (errno != 0 && !madeBefore)
        {
            return NativeFileSystem.ChangeRefused(errno, plan.Name, "nothing was changed");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var id = await CatalogChanges.InsertFolderRowAsync(db, plan.Root.Id, plan.Parent.Id, plan.Name, plan.Path, plan.OnDisk, actorId,
                time.GetUtcNow(), cancellationToken);
            await CatalogChanges.TouchFolderAsync(db, plan.Parent.Id, Path.GetDirectoryName(plan.OnDisk)!, cancellationToken);
            AuditTrail.Add(db, time, actorId, "entry.create_folder", $"{plan.Root.Name}/{plan.Path}");
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return Result<long>.Success(id);
        });
    }

    /// <summary>
    /// rename(2) without replacing, then the subtree's rows and grants, the folder's stamp and an audit row in one
    /// transaction. A resumed job whose entry is gone from its old name and present at the new one renamed it before the
    /// process died: only the catalog follows.
    /// </summary>
    private async Task<Result<long>> MoveToNewNameAsync(RenamePlan plan, Guid actorId, bool resumed, CancellationToken cancellationToken)
    {
        var errno = NativeFileSystem.RenameNoReplace(plan.Source, plan.Destination);
        var renamedBefore = errno != 0 && resumed && !NativeFileSystem.LinkExists(plan.Source) && NativeFileSystem.LinkExists(plan.Destination);
        if (errno != 0 && !renamedBefore)
        {
            return NativeFileSystem.ChangeRefused(errno, plan.Name, "nothing was changed");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var renamed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var old = plan.Entry.RelativePath;
            // The subtree's rows and the grants on the folder and below it follow the new name.
            await CatalogChanges.MoveSubtreeAsync(db, plan.Root.Id, plan.Entry.Id, old, plan.NewPath, plan.ParentId, plan.Name, null, cancellationToken);
            await CatalogChanges.TouchFolderAsync(db, plan.ParentId, Path.GetDirectoryName(plan.Destination)!, cancellationToken);
            AuditTrail.Add(db, time, actorId, "entry.rename", $"{plan.Root.Name}/{old}", new { to = plan.NewPath });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return Result<long>.Success(plan.Entry.Id);
        });
        await accessVersion.BumpAsync();
        return renamed;
    }

    /// <summary>
    /// The same request again (a double click, a retried API call with its Idempotency-Key) gets the first one's answer
    /// and changes nothing (R-OP-7); null when the key is new.
    /// </summary>
    private async Task<Result<long>?> ReplayAsync(AccessSubject actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null || await jobs.FindAsync(actor.UserId, idempotencyKey, cancellationToken) is not { } earlier)
        {
            return null;
        }

        return earlier.Status switch
        {
            JobStatus.Succeeded when earlier.ResultEntryId is { } id => id,
            JobStatus.Failed => new Error("job.failed", earlier.Error ?? "The earlier request failed."),
            _ => new Error("job.in_progress", "The same request is already being carried out."),
        };
    }

    /// <summary>The entry and its root, if the actor may write in it (its parent, for a rename) and the root is healthy.</summary>
    private async Task<Result<(Entry Entry, StorageRoot Root)>> PrepareAsync(AccessSubject actor, long id, bool requireFolder, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entry = await db.Entries.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.State == EntryState.Active, cancellationToken);
        var root = entry is null ? null : await db.StorageRoots.AsNoTracking().SingleOrDefaultAsync(r => r.Id == entry.RootId, cancellationToken);
        if (entry is null || root is null || !await access.CanReadAsync(actor, root.Id, entry.RelativePath, cancellationToken))
        {
            return new Error("entry.not_found", "No such file or folder.");
        }

        if (requireFolder && entry.Kind != EntryKind.Directory)
        {
            return new Error("entry.not_a_folder", "That entry is not a folder.");
        }

        var folder = requireFolder ? entry.RelativePath : ParentOf(entry.RelativePath);
        if (!await access.CanWriteAsync(actor, root.Id, folder, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not change this folder.");
        }

        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        return health.IsHealthy
            ? (entry, root)
            : new Error("root.unhealthy", "The storage is not available right now; nothing was changed. " + health.Problem!.Message);
    }

    /// <summary>The full path for a new name, refusing bad names (path guard) and names a sibling already has (R-PATH-6).</summary>
    private async Task<Result<string>> CheckNewNameAsync(AccessSubject actor, StorageRoot root, Entry parent, long parentId, string nfcName, long? excludeId, CancellationToken cancellationToken)
    {
        var parentPath = PathGuard.Parse(parent.RelativePath);
        if (!parentPath.IsSuccess)
        {
            return parentPath.Error!;
        }

        var destination = PathGuard.ResolveForCreate(root.Path, parentPath.Value, nfcName);
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = EntryName.Key(nfcName);
        var twin = await db.Entries.AsNoTracking()
            .ActiveNamed(parentId, key).Where(e => e.Id != excludeId)
            .Select(e => e.RelativePath)
            .FirstOrDefaultAsync(cancellationToken);
        if (twin is null)
        {
            return destination;
        }

        return await writeAccess.NameTakenAsync(actor, root.Id, twin, nfcName, cancellationToken);
    }

    /// <summary>Records the job, takes the locks, runs the change, and finishes the job with its outcome; its events go out as the runner's do.</summary>
    private async Task<Result<long>> RunAsJobAsync(
        AccessSubject actor, string type, int rootId, object payload, string? idempotencyKey, IReadOnlyList<string> lockPaths,
        Func<Task<Result<long>>> change, CancellationToken cancellationToken)
    {
        var enqueued = await jobs.EnqueueAsync(actor.UserId, new NewJob(type, JobLedger.InlineQueue, JsonSerializer.Serialize(payload, JobRun.Json), idempotencyKey), cancellationToken);
        if (!enqueued.IsSuccess)
        {
            return enqueued.Error!;
        }

        var job = await jobs.StartAsync(enqueued.Value, instance.InstanceId, cancellationToken);
        if (job is null)
        {
            // A concurrent twin of this request won the race to the job row.
            return await ReplayAsync(actor, idempotencyKey, cancellationToken) ?? new Error("job.in_progress", "The same request is already being carried out.");
        }

        await events.PublishAsync(JobEvent.From(job, JobStatus.Running));
        var acquired = await locks.AcquireAsync(new LockRequest(rootId, lockPaths, type, await LockRequest.HolderNameAsync(contexts, actor.UserId, cancellationToken)), LockTtl, cancellationToken);
        if (!acquired.IsSuccess)
        {
            await FinishAsync(job, JobStatus.Failed, acquired.Error!.Message, null);
            return acquired.Error;
        }

        await using var lease = acquired.Value;

        try
        {
            var result = await change();
            await FinishAsync(job, result.IsSuccess ? JobStatus.Succeeded : JobStatus.Failed, result.Error?.Message, result.IsSuccess ? result.Value : null);
            if (result.IsSuccess)
            {
                logger.LogInformation("{User} completed {Operation} job {JobId}", actor.UserId, type, job.Id);
            }

            return result;
        }
        catch (Exception ex)
        {
            await FinishAsync(job, JobStatus.Failed, ex.Message, null);
            throw;
        }
    }

    private async Task FinishAsync(Job job, JobStatus status, string? error, long? resultEntryId)
    {
        await jobs.FinishAsync(job.Id, status, error, CancellationToken.None, resultEntryId);
        job.Error = error;
        if (status == JobStatus.Succeeded)
        {
            job.Progress = 1;
        }

        await events.PublishAsync(JobEvent.From(job, status));
    }

    private static string ParentOf(string relativePath) => CatalogChanges.ParentOf(relativePath);
}
