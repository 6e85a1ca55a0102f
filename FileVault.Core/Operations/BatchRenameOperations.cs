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

/// <summary>
/// What a batch rename did: how many entries got their new names, which could not, and how many a cancel left at their
/// old names before they were reached (<paramref name="NotReached"/>, zero unless the job was cancelled).
/// </summary>
public sealed record BatchRenameSummary(long JobId, int Renamed, IReadOnlyList<BatchRenameFailure> Failed, int NotReached = 0);

/// <summary>One entry of a batch rename job: its id, its name when asked, and its new name.</summary>
internal sealed record BatchRenameItem(long Id, string From, string To);

/// <summary>A batch rename job's input.</summary>
internal sealed record BatchRenamePayload(int Root, long FolderId, BatchRenameRule Rule, IReadOnlyList<BatchRenameItem> Renames);

/// <summary>
/// Renames many entries of one folder by one rule (<see cref="BatchRenamePlanner"/>). The whole batch is checked
/// first — every entry in the folder and readable, the folder writable, the root healthy, every new name valid, unique
/// within the batch and not taken by a sibling outside it — and refused whole if anything is wrong. Then it is one
/// queued job (type <c>batch_rename</c>) holding path locks on every old and new name (their folder, for a big batch),
/// which the job runner runs like any other: the same checks again for the job's owner, then the entries renamed one
/// by one (renameat2 without replace) in an order where no entry needs a name another still holds: chains run from
/// their free end, and a cycle (a swap) parks one entry under a temporary name in the same folder
/// (<c>.filevault-part-{job}-rename-{entry}</c>, see <see cref="PathGuard.TemporaryPrefix"/>). After each disk rename
/// the catalog follows in its own transaction, so the catalog and the disk agree at every step; each entry that reaches
/// its new name gets an audit row. Between entries the run reports progress, renews its locks, notices a cancel and
/// asks again whether the owner may still write in the folder; a resumed run reads where each entry is from the catalog.
/// </summary>
public sealed class BatchRenameOperations(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    AccessVersion accessVersion,
    WriteRequests requests,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<BatchRenameOperations> logger)
{
    public const string JobType = "batch_rename";
    public const string JobQueue = JobQueues.Rename;

    private const int ProgressEvery = 25;

    // For the nested run, which cannot see the constructor's parameters.
    private AccessVersion AccessVersion => accessVersion;

    private ILogger Logger => logger;

    /// <summary>
    /// Queues a job that renames the entries <paramref name="ids"/> of folder <paramref name="folderId"/> by
    /// <paramref name="rule"/>; numbers follow the order of <paramref name="ids"/>. Returns the job's id; an error
    /// means nothing was queued. The finished job's summary (<see cref="SummaryOf"/>) may still list entries that failed
    /// one by one (a name taken on disk behind the catalog's back, a file system error).
    /// </summary>
    public async Task<Result<long>> RequestBatchRenameAsync(
        AccessSubject actor, long folderId, BatchRenameRule rule, IReadOnlyList<long> ids, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(ids);
        if (await requests.ReplayAsync(actor, idempotencyKey, cancellationToken) is { } replayed)
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
        var renames = changes.Select(c => new BatchRenameItem(c.Id, entries[c.Id].Name, c.NewName)).ToList();
        var lockPaths = renames.SelectMany(r => new[] { Join(batch.Folder.RelativePath, r.From), Join(batch.Folder.RelativePath, r.To) }).ToList();
        return await requests.EnqueueAsync(actor, JobType, JobQueue, new BatchRenamePayload(batch.Root.Id, folderId, rule, renames), batch.Root, lockPaths,
            idempotencyKey, cancellationToken);
    }

    /// <summary>What a finished batch rename job did; null while it runs, or for a job that ended before renaming (refused, no summary).</summary>
    public static BatchRenameSummary? SummaryOf(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Type == JobType && job.Summary is { } summary ? JsonSerializer.Deserialize<StoredSummary>(summary, JobRun.Json)!.ToSummary(job.Id) : null;
    }

    /// <summary>Runs a queued batch: the checks again for the owner as they are now, then the renames.</summary>
    internal async Task<JobOutcome> RunJobAsync(JobRun run)
    {
        var payload = run.Payload<BatchRenamePayload>();
        Batch? batch = null;
        var denied = await run.AuthorizeAsync(async owner =>
        {
            var prepared = await PrepareAsync(owner, payload.FolderId, payload.Renames.Select(r => r.Id).ToList(), run.Stopping);
            batch = prepared.IsSuccess ? prepared.Value : null;
            return prepared.Error;
        });
        if (batch is null || denied is not null)
        {
            return JobOutcome.Failed((denied?.Message ?? "The job has no owner.") + " Nothing was renamed.");
        }

        // Where each entry is now, by the catalog (which follows every disk rename at once): all at their old names on a
        // first run; a resumed run finds some renamed already and some parked under this job's temporary name.
        var parkedPrefix = $"{PathGuard.TemporaryPrefix}{run.Job.Id}-rename-";
        var entries = batch.Entries.ToDictionary(e => e.Id);
        if (run.IsResumed)
        {
            await FindLostStepAsync(run, batch, payload.Renames, entries);
        }

        var done = 0;
        var steps = new List<Step>();
        foreach (var rename in payload.Renames)
        {
            var entry = entries[rename.Id];
            if (entry.Name == rename.To)
            {
                done++;
                continue;
            }

            steps.Add(new Step(entry, rename.From, rename.To) { Parked = entry.Name.StartsWith(parkedPrefix, StringComparison.Ordinal) });
        }

        var applied = new Run(this, run, batch, done);
        var summary = await applied.ApplyAsync(steps);
        logger.LogInformation("{User} renamed {Renamed} of {Count} entries in batch job {JobId}", run.Job.OwnerId, summary.Renamed, payload.Renames.Count, run.Job.Id);
        var stored = StoredSummary.From(summary);
        if (applied.WasCancelled)
        {
            // Like every other operation: a cancel (or the host stopping, which the runner turns into a requeue) ends
            // the job Cancelled; what was renamed before it stays renamed and the summary says how far it got.
            return JobOutcome.Cancelled(stored);
        }

        var failed = summary.Failed.Count == 0 ? null
            : $"Renamed {summary.Renamed} of {payload.Renames.Count}; not renamed: " + Describe(summary.Failed.Select(f => $"{f.Name} ({f.Error.Code})"));
        return failed is null ? JobOutcome.Succeeded(stored) : JobOutcome.Failed(failed, stored);
    }

    /// <summary>
    /// A process killed between a disk rename and the catalog change that follows it leaves one entry whose catalog
    /// name is gone from the disk: it is under its new name, its temporary name or back at its old one. The entry found
    /// there (the same inode, or for lack of one a name no other entry of the batch holds) is catalogued where it is,
    /// so the run goes on from where the disk is.
    /// </summary>
    private async Task FindLostStepAsync(JobRun run, Batch batch, IReadOnlyList<BatchRenameItem> renames, Dictionary<long, Entry> entries)
    {
        var held = entries.Values.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var rename in renames)
        {
            var entry = entries[rename.Id];
            if (NativeFileSystem.LinkExists(Path.Join(batch.FolderOnDisk, entry.Name)))
            {
                continue;
            }

            var parked = $"{PathGuard.TemporaryPrefix}{run.Job.Id}-rename-{entry.Id}";
            var found = new[] { rename.To, parked, rename.From }.FirstOrDefault(name =>
                name != entry.Name && !held.Contains(name) && IsSameEntry(entry, Path.Join(batch.FolderOnDisk, name)));
            if (found is null)
            {
                continue;
            }

            logger.LogInformation("Batch rename job {JobId} found entry {EntryId} at {Name} on disk after a restart", run.Job.Id, entry.Id, found);
            var step = new Step(entry, rename.From, rename.To);
            await MoveInCatalogAsync(batch, run.Job.OwnerId, run.Job.Id, step, found, audit: found == rename.To);
            held.Remove(entry.Name);
            held.Add(found);
            entry.Name = found;
            entry.NameKey = EntryName.Key(found);
        }
    }

    private static bool IsSameEntry(Entry entry, string path)
    {
        if (!NativeFileSystem.LinkExists(path))
        {
            return false;
        }

        // stat(2) follows a symbolic link, so a link's recorded inode cannot be compared; nor can a row without one.
        return entry.Inode == 0 || entry.Kind == EntryKind.Symlink || UnixFileStat.TryGet(path) is { } stat && unchecked((long)stat.Inode) == entry.Inode;
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
    private async Task MoveInCatalogAsync(Batch batch, Guid actor, long jobId, Step step, string toName, bool audit)
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
                AuditTrail.Add(db, time, actor, "entry.rename", $"{batch.Root.Name}/{Join(folderPath, step.OriginalName)}", new { to, job = jobId });
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

    private static string Join(string folder, string name) => CatalogChanges.Join(folder, name);

    /// <summary>The summary as kept in the job row.</summary>
    private sealed record StoredSummary(int Renamed, IReadOnlyList<StoredFailure> Failed, int NotReached)
    {
        public static StoredSummary From(BatchRenameSummary summary) =>
            new(summary.Renamed, summary.Failed.Select(f => new StoredFailure(f.EntryId, f.Name, f.Error.Code, f.Error.Message)).ToList(), summary.NotReached);

        public BatchRenameSummary ToSummary(long jobId) =>
            new(jobId, Renamed, Failed.Select(f => new BatchRenameFailure(f.EntryId, f.Name, new Error(f.Code, f.Message))).ToList(), NotReached);
    }

    private sealed record StoredFailure(long EntryId, string Name, string Code, string Message);

    private sealed record Batch(StorageRoot Root, Entry Folder, string FolderOnDisk, IReadOnlyList<Entry> Entries);

    /// <summary>One entry to rename: where it is on disk now (its old name, or a temporary one while parked).</summary>
    private sealed class Step(Entry entry, string originalName, string newName)
    {
        public Entry Entry { get; } = entry;

        /// <summary>Its name when the batch was asked for: the name it goes back to when it cannot take the new one.</summary>
        public string OriginalName { get; } = originalName;

        public string NewName { get; } = newName;

        public string OldKey { get; } = entry.NameKey;

        public string NewKey { get; } = EntryName.Key(newName);

        public string CurrentName { get; set; } = entry.Name;

        public bool Parked { get; set; }
    }

    /// <summary>One batch being applied: the ordering, the disk changes and the catalog updates that follow each.</summary>
    private sealed class Run(BatchRenameOperations owner, JobRun run, Batch batch, int renamedBefore)
    {
        // How many entries of the batch sit at each name (by sibling key) right now; a parked entry sits at none.
        private readonly Dictionary<string, int> _occupied = new(StringComparer.Ordinal);
        private readonly List<BatchRenameFailure> _failed = [];
        private Error? _stop;
        private readonly int _renamedBefore = renamedBefore;
        private int _renamed = renamedBefore;
        private int _notReached;

        /// <summary>The batch stopped because it was cancelled (or the host stops); the entries it had not reached keep their names.</summary>
        public bool WasCancelled => _stop?.Code == CancelledCode;

        private const string CancelledCode = "job.cancelled";

        private long JobId => run.Job.Id;

        private Guid Actor => run.Job.OwnerId;

        public async Task<BatchRenameSummary> ApplyAsync(List<Step> steps)
        {
            foreach (var step in steps.Where(s => !s.Parked))
            {
                _occupied[step.OldKey] = _occupied.GetValueOrDefault(step.OldKey) + 1;
            }

            var total = steps.Count + _renamedBefore;
            var pending = steps.ToList();
            if (run.Stopping.IsCancellationRequested)
            {
                // Cancelled before the first entry (or resumed after a cancel): only what is parked is put back.
                _stop = new Error(CancelledCode, "The batch was cancelled before this entry was renamed.");
            }

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
                        await SafePointAsync(total);
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
            await run.ReportAsync(total, total, $"{_renamed + _failed.Count}/{total}", force: true);
            return new BatchRenameSummary(JobId, _renamed, _failed, _notReached);
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
            await owner.MoveInCatalogAsync(batch, Actor, JobId, step, step.NewName, audit: true);
            _renamed++;
        }

        private async Task<bool> ParkAsync(Step step)
        {
            // Named after the job and the entry, so a resumed run (and whoever looks at an interrupted job) can find it.
            var temporary = $"{PathGuard.TemporaryPrefix}{JobId}-rename-{step.Entry.Id}";
            var errno = NativeFileSystem.RenameNoReplace(OnDisk(step.CurrentName), OnDisk(temporary));
            if (errno != 0)
            {
                _failed.Add(new BatchRenameFailure(step.Entry.Id, step.OriginalName, NativeFileSystem.ChangeRefused(errno, step.OriginalName, "it keeps its name")));
                return false;
            }

            Leave(step);
            await owner.MoveInCatalogAsync(batch, Actor, JobId, step, temporary, audit: false);
            step.Parked = true;
            return true;
        }

        /// <summary>
        /// The entry keeps its old name: a parked one is moved back, or left parked (and said so) when that name was taken
        /// meanwhile. One a cancel left where it was is counted as not reached rather than failed.
        /// </summary>
        private async Task GiveUpAsync(Step step, Error error)
        {
            if (step.Parked)
            {
                var errno = NativeFileSystem.RenameNoReplace(OnDisk(step.CurrentName), OnDisk(step.OriginalName));
                if (errno == 0)
                {
                    await owner.MoveInCatalogAsync(batch, Actor, JobId, step, step.OriginalName, audit: false);
                    step.Parked = false;
                    if (error.Code == CancelledCode)
                    {
                        _notReached++;
                        return;
                    }
                }
                else
                {
                    error = error with { Message = $"{error.Message} The entry could not go back to its old name and is now called {step.CurrentName}." };
                    owner.Logger.LogWarning("Batch rename job {JobId} left entry {EntryId} at temporary name {Name}", JobId, step.Entry.Id, step.CurrentName);
                }
            }
            else if (error.Code == CancelledCode)
            {
                _notReached++;
                return;
            }

            _failed.Add(new BatchRenameFailure(step.Entry.Id, step.OriginalName, error));
        }

        private void Leave(Step step)
        {
            if (!step.Parked)
            {
                _occupied[step.OldKey]--;
            }
        }

        /// <summary>
        /// Between two entries: report progress (which notices a cancel), keep the locks, and ask again whether the owner
        /// may still write in the folder; any of these stops the batch once nothing is parked.
        /// </summary>
        private async Task SafePointAsync(int total)
        {
            var done = _renamed + _failed.Count;
            await run.ReportAsync(done, total, $"{done}/{total}");
            if (run.Stopping.IsCancellationRequested)
            {
                _stop ??= new Error(CancelledCode, "The batch was cancelled before this entry was renamed.");
            }

            if (done % ProgressEvery != 0 || _stop is not null)
            {
                return;
            }

            if (run.Lease is { } lease && !await lease.RenewAsync())
            {
                _stop ??= new Error("lock.lost", "The batch lost its locks before this entry was renamed.");
            }

            Error? denied;
            try
            {
                denied = await run.AuthorizeAsync(async subject =>
                    await owner.MayStillWriteAsync(subject, batch, CancellationToken.None) ? null : new Error("auth.forbidden", "You may no longer change this folder."));
            }
            catch (OperationCanceledException) when (run.Stopping.IsCancellationRequested)
            {
                // A cancel landing while the owner is read again: stop like any cancel, so a parked entry is put back.
                _stop ??= new Error(CancelledCode, "The batch was cancelled before this entry was renamed.");
                return;
            }

            if (denied is not null)
            {
                _stop ??= denied with { Message = denied.Message + " The batch stopped before this entry was renamed." };
            }
        }

        private string OnDisk(string name) => Path.Join(batch.FolderOnDisk, name);
    }

    private async Task<bool> MayStillWriteAsync(AccessSubject subject, Batch batch, CancellationToken cancellationToken) =>
        await access.CanWriteAsync(subject, batch.Root.Id, batch.Folder.RelativePath, cancellationToken);
}
