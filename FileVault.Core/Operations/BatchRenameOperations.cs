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

/// <summary>An entry of a batch that kept its name, and why.</summary>
public sealed record BatchRenameFailure(long EntryId, string Name, Error Error);

/// <summary>What a batch rename did: how many entries got their new names, and which did not.</summary>
public sealed record BatchRenameSummary(long JobId, int Renamed, IReadOnlyList<BatchRenameFailure> Failed);

/// <summary>
/// Renames many entries of one folder by one rule (<see cref="BatchRenamePlanner"/>). The whole batch is checked
/// first — every entry in the folder and readable, the folder writable, the root healthy, every new name valid, unique
/// within the batch and not taken by a sibling outside it — and refused whole if anything is wrong. Then it is one job
/// row (type <c>batch_rename</c>) holding path locks on every old and new name, and the entries are renamed one by one
/// (renameat2 without replace) in an order where no entry needs a name another still holds: chains run from their
/// free end, and a cycle (a swap) parks one entry under a temporary name in the same folder
/// (<c>.filevault-part-{job}-rename-{entry}</c>, see <see cref="PathGuard.TemporaryPrefix"/>). After each disk rename the catalog follows in its own transaction, so the catalog
/// and the disk agree at every step; each entry that reaches its new name gets an audit row.
/// </summary>
public sealed class BatchRenameOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    AccessVersion accessVersion,
    ResourceLocks locks,
    JobLedger jobs,
    ScanMonitor instance,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<BatchRenameOperations> logger)
{
    public const string JobType = "batch_rename";
    public const string JobQueue = "rename";

    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);
    private const int ProgressEvery = 25;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    // For the nested run, which cannot see the constructor's parameters.
    private TimeProvider Time => time;

    private AccessVersion AccessVersion => accessVersion;

    private JobLedger Jobs => jobs;

    private ILogger Logger => logger;

    /// <summary>
    /// Renames the entries <paramref name="ids"/> of folder <paramref name="folderId"/> by <paramref name="rule"/>;
    /// numbers follow the order of <paramref name="ids"/>. An error means nothing was renamed; a summary may still list
    /// entries that failed one by one (a name taken on disk behind the catalog's back, a file system error).
    /// </summary>
    public async Task<Result<BatchRenameSummary>> BatchRenameAsync(
        AccessSubject actor, long folderId, BatchRenameRule rule, IReadOnlyList<long> ids, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(ids);
        if (await ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var prepared = await PrepareAsync(actor, folderId, ids, cancellationToken);
        if (!prepared.IsSuccess)
        {
            return prepared.Error!;
        }

        var batch = prepared.Value;
        var plan = BatchRenamePlanner.Plan(batch.Entries.Select(e => (e.Id, e.Name, e.Kind == EntryKind.Directory)).ToList(), rule);
        if (!plan.IsSuccess)
        {
            return plan.Error!;
        }

        if (plan.Value.HasProblems)
        {
            var problems = plan.Value.Items.Where(i => i.Blocks).Select(i => $"{i.OldName} → {i.NewName}: {i.Problem!.Code}");
            return new Error("rename.plan_invalid", "Some new names cannot be used; nothing was renamed. " + Describe(problems));
        }

        var changes = plan.Value.Changes.ToList();
        if (changes.Count == 0)
        {
            return new Error("rename.nothing", "The rule changes no name.");
        }

        var taken = await TakenByOthersAsync(folderId, changes, batch.Entries.Select(e => e.Id).ToList(), cancellationToken);
        if (taken.Count > 0)
        {
            return new Error("name.conflict", "These names already exist in this folder; nothing was renamed. " + Describe(taken));
        }

        var entries = batch.Entries.ToDictionary(e => e.Id);
        var steps = changes.Select(c => new Step(entries[c.Id], c.NewName)).ToList();
        var payload = JsonSerializer.Serialize(new
        {
            root = batch.Root.Id,
            folderId,
            rule,
            renames = steps.Select(s => new { id = s.Entry.Id, from = s.Entry.Name, to = s.NewName }),
        });
        var enqueued = await jobs.EnqueueAsync(actor.UserId, new NewJob(JobType, JobQueue, payload, idempotencyKey), cancellationToken);
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

        var lockPaths = steps.SelectMany(s => new[] { Join(batch.Folder.RelativePath, s.Entry.Name), Join(batch.Folder.RelativePath, s.NewName) }).ToList();
        var acquired = await locks.AcquireAsync(new LockRequest(batch.Root.Id, lockPaths, JobType, await LockRequest.HolderNameAsync(contexts, actor.UserId, cancellationToken)), LockTtl, cancellationToken);
        if (!acquired.IsSuccess)
        {
            await jobs.FinishAsync(job.Id, JobStatus.Failed, acquired.Error!.Message, CancellationToken.None);
            return acquired.Error;
        }

        await using var lease = acquired.Value;
        try
        {
            var summary = await new Run(this, actor, batch, job.Id, lease, cancellationToken).ApplyAsync(steps);
            var failed = summary.Failed.Count == 0 ? null
                : $"Renamed {summary.Renamed} of {steps.Count}; not renamed: " + Describe(summary.Failed.Select(f => $"{f.Name} ({f.Error.Code})"));
            await jobs.FinishAsync(job.Id, failed is null ? JobStatus.Succeeded : JobStatus.Failed, failed, CancellationToken.None,
                summary: JsonSerializer.Serialize(StoredSummary.From(summary), JsonOptions));
            logger.LogInformation("{User} renamed {Renamed} of {Count} entries in batch job {JobId}", actor.UserId, summary.Renamed, steps.Count, job.Id);
            return summary;
        }
        catch (Exception ex)
        {
            await jobs.FinishAsync(job.Id, JobStatus.Failed, ex.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>The same request again gets the first one's outcome and renames nothing (R-OP-7); null when the key is new.</summary>
    private async Task<Result<BatchRenameSummary>?> ReplayAsync(AccessSubject actor, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null || await jobs.FindAsync(actor.UserId, idempotencyKey, cancellationToken) is not { } earlier)
        {
            return null;
        }

        if (earlier.Type != JobType)
        {
            return new Error("job.idempotency_key_invalid", "This idempotency key was used for another kind of request.");
        }

        return earlier switch
        {
            { Status: JobStatus.Succeeded or JobStatus.Failed, Summary: { } summary } =>
                JsonSerializer.Deserialize<StoredSummary>(summary, JsonOptions)!.ToSummary(earlier.Id),
            { Status: JobStatus.Failed } => new Error("job.failed", earlier.Error ?? "The earlier request failed."),
            _ => new Error("job.in_progress", "The same request is already being carried out."),
        };
    }

    /// <summary>The folder, its root and its place on disk, and the batch's entries in the order given, if the actor may rename them.</summary>
    private async Task<Result<Batch>> PrepareAsync(AccessSubject actor, long folderId, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return new Error("rename.nothing", "No entries were given.");
        }

        if (ids.Count > BatchRenamePlanner.MaxItems)
        {
            return new Error("rename.too_many", $"A batch renames at most {BatchRenamePlanner.MaxItems} entries.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var located = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!located.IsSuccess)
        {
            return located.Error!;
        }

        var (folder, root) = located.Value;
        if (!await access.CanWriteAsync(actor, root.Id, folder.RelativePath, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not change this folder.");
        }

        var distinct = ids.Distinct().ToList();
        var found = await db.Entries.AsNoTracking()
            .Where(e => distinct.Contains(e.Id) && e.ParentId == folderId && e.State == EntryState.Active)
            .WhereReadable(db, actor)
            .ToDictionaryAsync(e => e.Id, cancellationToken);
        if (found.Count != distinct.Count)
        {
            return new Error("entry.not_found", "Some of the entries are not in this folder or no longer exist.");
        }

        // Grants sit on folders: a file is as writable as its folder, but a subfolder can have its own deny.
        foreach (var subfolder in found.Values.Where(e => e.Kind == EntryKind.Directory))
        {
            if (!await access.CanWriteAsync(actor, root.Id, subfolder.RelativePath, cancellationToken))
            {
                return new Error("auth.forbidden", $"You may not rename the folder {subfolder.Name}.");
            }
        }

        if (found.Values.FirstOrDefault(e => !e.NameIsValid) is { } invalid)
        {
            return new Error("path.invalid_name", $"The name {invalid.Name} on the server is not valid UTF-8; rename it on the server.");
        }

        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        if (!health.IsHealthy)
        {
            return new Error("root.unhealthy", "The storage is not available right now; nothing was changed. " + health.Problem!.Message);
        }

        var folderPath = PathGuard.Parse(folder.RelativePath);
        var onDisk = folderPath.IsSuccess ? PathGuard.ResolveExisting(root.Path, folderPath.Value) : folderPath.Error!;
        if (!onDisk.IsSuccess)
        {
            return onDisk.Error!;
        }

        return new Batch(root, folder, onDisk.Value, distinct.Select(id => found[id]).ToList());
    }

    /// <summary>The new names that an active sibling outside the batch already has (by the catalog's sibling key).</summary>
    private async Task<List<string>> TakenByOthersAsync(long folderId, List<PlannedRename> changes, List<long> batchIds, CancellationToken cancellationToken)
    {
        var byKey = changes.ToDictionary(c => EntryName.Key(c.NewName), c => c.NewName, StringComparer.Ordinal);
        var keys = byKey.Keys.ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var takenKeys = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == folderId && e.State == EntryState.Active && keys.Contains(e.NameKey) && !batchIds.Contains(e.Id))
            .Select(e => e.NameKey)
            .Distinct()
            .ToListAsync(cancellationToken);
        return takenKeys.Select(k => byKey[k]).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The catalog follows one disk rename in one transaction: the entry, its subtree's paths, the folder's mtime, and an audit row for a final name.</summary>
    private async Task MoveInCatalogAsync(Batch batch, AccessSubject actor, long jobId, Step step, string toName, bool audit)
    {
        var folderPath = batch.Folder.RelativePath;
        var from = Join(folderPath, step.CurrentName);
        var to = Join(folderPath, toName);
        var rootId = batch.Root.Id;
        var entryId = step.Entry.Id;
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            // The subtree's rows and the grants on the folder and below it follow the new name.
            await CatalogChanges.MoveSubtreeAsync(db, rootId, entryId, from, to, batch.Folder.Id, toName, null, CancellationToken.None);
            await CatalogChanges.TouchFolderAsync(db, batch.Folder.Id, batch.FolderOnDisk, CancellationToken.None);
            if (audit)
            {
                AuditTrail.Add(db, time, actor.UserId, "entry.rename", $"{batch.Root.Name}/{Join(folderPath, step.Entry.Name)}", new { to, job = jobId });
                await db.SaveChangesAsync(CancellationToken.None);
            }

            await transaction.CommitAsync(CancellationToken.None);
        });
        step.CurrentName = toName;
    }

    private static string Describe(IEnumerable<string> items)
    {
        const int Shown = 20;
        var list = items.ToList();
        return string.Join(", ", list.Take(Shown)) + (list.Count > Shown ? $" and {list.Count - Shown} more" : "");
    }

    private static string Join(string folder, string name) => folder.Length == 0 ? name : folder + "/" + name;

    /// <summary>The summary as kept in the job row, for answering the same request again.</summary>
    private sealed record StoredSummary(int Renamed, IReadOnlyList<StoredFailure> Failed)
    {
        public static StoredSummary From(BatchRenameSummary summary) =>
            new(summary.Renamed, summary.Failed.Select(f => new StoredFailure(f.EntryId, f.Name, f.Error.Code, f.Error.Message)).ToList());

        public BatchRenameSummary ToSummary(long jobId) =>
            new(jobId, Renamed, Failed.Select(f => new BatchRenameFailure(f.EntryId, f.Name, new Error(f.Code, f.Message))).ToList());
    }

    private sealed record StoredFailure(long EntryId, string Name, string Code, string Message);

    private sealed record Batch(StorageRoot Root, Entry Folder, string FolderOnDisk, IReadOnlyList<Entry> Entries);

    /// <summary>One entry to rename: where it is on disk now (its old name, or a temporary one while parked).</summary>
    private sealed class Step(Entry entry, string newName)
    {
        public Entry Entry { get; } = entry;

        public string NewName { get; } = newName;

        public string OldKey { get; } = entry.NameKey;

        public string NewKey { get; } = EntryName.Key(newName);

        public string CurrentName { get; set; } = entry.Name;

        public bool Parked { get; set; }
    }

    /// <summary>One batch being applied: the ordering, the disk changes and the catalog updates that follow each.</summary>
    private sealed class Run(BatchRenameOperations owner, AccessSubject actor, Batch batch, long jobId, ResourceLease lease, CancellationToken cancellationToken)
    {
        // How many entries of the batch sit at each name (by sibling key) right now; a parked entry sits at none.
        private readonly Dictionary<string, int> _occupied = new(StringComparer.Ordinal);
        private readonly List<BatchRenameFailure> _failed = [];
        private long _lastRenewal = owner.Time.GetTimestamp();
        private Error? _stop;
        private int _renamed;

        public async Task<BatchRenameSummary> ApplyAsync(List<Step> steps)
        {
            foreach (var step in steps)
            {
                _occupied[step.OldKey] = _occupied.GetValueOrDefault(step.OldKey) + 1;
            }

            var pending = steps.ToList();
            while (pending.Count > 0)
            {
                var progressed = false;
                foreach (var step in pending.ToList())
                {
                    if (_stop is not null && !step.Parked)
                    {
                        continue;
                    }

                    if (!IsBlocked(step))
                    {
                        pending.Remove(step);
                        progressed = true;
                        await FinishAsync(step);
                        await SafePointAsync(steps.Count);
                    }
                }

                if (progressed)
                {
                    continue;
                }

                // Everyone left waits for a name another holds: a cycle. Park one, which frees its name.
                if (_stop is null && pending.FirstOrDefault(s => !s.Parked) is { } cycle)
                {
                    if (!await ParkAsync(cycle))
                    {
                        pending.Remove(cycle);
                    }

                    continue;
                }

                // Stopped, or waiting for names held by entries that failed to move: the rest keep their names.
                foreach (var step in pending)
                {
                    await GiveUpAsync(step, _stop ?? new Error("name.conflict", $"\"{step.NewName}\" is still held by an entry that could not be renamed."));
                }

                pending.Clear();
            }

            // Renamed folders took their grants along: cached answers about their old paths must be asked again.
            await owner.AccessVersion.BumpAsync();
            return new BatchRenameSummary(jobId, _renamed, _failed);
        }

        private bool IsBlocked(Step step) => _occupied.GetValueOrDefault(step.NewKey) > (step.OldKey == step.NewKey && !step.Parked ? 1 : 0);

        /// <summary>Renames the entry to its new name, or records why it could not (a parked one goes back to its old name).</summary>
        private async Task FinishAsync(Step step)
        {
            var errno = NativeFileSystem.RenameNoReplace(OnDisk(step.CurrentName), OnDisk(step.NewName));
            if (errno != 0)
            {
                await GiveUpAsync(step, NativeFileSystem.ChangeRefused(errno, step.NewName, "it keeps its name"));
                return;
            }

            Leave(step);
            await owner.MoveInCatalogAsync(batch, actor, jobId, step, step.NewName, audit: true);
            _renamed++;
        }

        private async Task<bool> ParkAsync(Step step)
        {
            // Named after the job and the entry, so whoever looks after an interrupted job can find it.
            var temporary = $"{PathGuard.TemporaryPrefix}{jobId}-rename-{step.Entry.Id}";
            var errno = NativeFileSystem.RenameNoReplace(OnDisk(step.CurrentName), OnDisk(temporary));
            if (errno != 0)
            {
                _failed.Add(new BatchRenameFailure(step.Entry.Id, step.Entry.Name, NativeFileSystem.ChangeRefused(errno, step.Entry.Name, "it keeps its name")));
                return false;
            }

            Leave(step);
            await owner.MoveInCatalogAsync(batch, actor, jobId, step, temporary, audit: false);
            step.Parked = true;
            return true;
        }

        /// <summary>The entry keeps its old name: a parked one is moved back, or left parked (and said so) when that name was taken meanwhile.</summary>
        private async Task GiveUpAsync(Step step, Error error)
        {
            if (step.Parked)
            {
                var errno = NativeFileSystem.RenameNoReplace(OnDisk(step.CurrentName), OnDisk(step.Entry.Name));
                if (errno == 0)
                {
                    await owner.MoveInCatalogAsync(batch, actor, jobId, step, step.Entry.Name, audit: false);
                    step.Parked = false;
                }
                else
                {
                    error = error with { Message = $"{error.Message} The entry could not go back to its old name and is now called {step.CurrentName}." };
                    owner.Logger.LogWarning("Batch rename job {JobId} left entry {EntryId} at temporary name {Name}", jobId, step.Entry.Id, step.CurrentName);
                }
            }

            _failed.Add(new BatchRenameFailure(step.Entry.Id, step.Entry.Name, error));
        }

        private void Leave(Step step)
        {
            if (!step.Parked)
            {
                _occupied[step.OldKey]--;
            }
        }

        /// <summary>Between two entries: report progress, keep the locks, and notice a cancel (the batch then stops once nothing is parked).</summary>
        private async Task SafePointAsync(int total)
        {
            var done = _renamed + _failed.Count;
            if (done % ProgressEvery == 0 && !await owner.Jobs.ReportProgressAsync(jobId, (double)done / total, $"{done}/{total}", CancellationToken.None))
            {
                _stop ??= new Error("job.cancelled", "The batch was cancelled before this entry was renamed.");
            }

            if (owner.Time.GetElapsedTime(_lastRenewal) > LockTtl / 3)
            {
                _lastRenewal = owner.Time.GetTimestamp();
                if (!await lease.RenewAsync())
                {
                    _stop ??= new Error("lock.lost", "The batch lost its locks before this entry was renamed.");
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                _stop ??= new Error("job.cancelled", "The batch was cancelled before this entry was renamed.");
            }
        }

        private string OnDisk(string name) => Path.Join(batch.FolderOnDisk, name);

    }
}
