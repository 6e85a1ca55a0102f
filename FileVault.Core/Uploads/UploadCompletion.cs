using System.Security.Cryptography;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Uploads;

/// <summary>
/// Puts a fully received upload in place, as new folder does (DESIGN invariant 4): the destination and access checked
/// again, the whole file hashed (and compared with the client's SHA-256, R-UP-3), a path lock, a job row, missing
/// subfolders created, then one rename that never replaces (R-LINK-3) and the catalog row with its hash, uploader and
/// audit record in one transaction. No partial file ever carries the final name. An upload that was told to replace a
/// taken name first moves the file holding it to the trash, as the file operations' replace does, if WriteAccess allows.
/// </summary>
/// <remarks>
/// The hash is the one the upload store computed while the chunks arrived, when one process received them all in order
/// (<see cref="UploadHashes"/>); otherwise (chunks on several instances, a restart between them) it is computed here, over
/// the staged file, at the cost of one read of it.
/// A crash between the rename and the catalog leaves the file in place and an interrupted job; the next scan catalogues it.
/// </remarks>
public sealed class UploadCompletion(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    ResourceLocks locks,
    JobLedger jobs,
    JobEvents events,
    TrashMover trash,
    ScanMonitor instance,
    ContentListeners content,
    FolderStamps stamps,
    AccessVersion accessVersion,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<UploadCompletion> logger)
{
    private static readonly TimeSpan LockTtl = TimeSpan.FromSeconds(30);

    /// <summary>The new entry's id.</summary>
    /// <param name="received">The SHA-256 of the bytes as they were received and written, when one process saw them all
    /// in order; null to hash the staged file.</param>
    /// <param name="recorded">Whether the upload has its row already; false for a file sent whole with its creation, whose row
    /// the catalog's commit writes, completed.</param>
    /// <param name="checkedEarlier">The target as the same request resolved it before taking the bytes: used instead of
    /// resolving it again while <see cref="CheckedTarget.IsCurrent"/> (the answers would be the same).</param>
    internal async Task<Result<long>> CompleteAsync(
        AccessSubject actor, Upload upload, StorageRoot root, byte[]? received, bool recorded, CancellationToken cancellationToken,
        CheckedTarget? checkedEarlier = null)
    {
        var staging = StagingArea.PathOf(root.Path, upload.Id);
        // The mount is checked while the destination and access are asked: neither waits for the other.
        var checkingMount = MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        Result<UploadTarget> checkedTarget = checkedEarlier is not null && checkedEarlier.IsCurrent(accessVersion, time)
            ? checkedEarlier.Target
            : await UploadTarget.ResolveAsync(contexts, access, actor, upload.FolderId, upload.FileName, Join(upload.Subfolders, upload.FileName), cancellationToken);
        var health = await checkingMount;
        if (!checkedTarget.IsSuccess)
        {
            return checkedTarget.Error!;
        }

        var target = checkedTarget.Value;
        if (!health.IsHealthy)
        {
            return new Error("root.unhealthy", "The storage is not available right now; the upload is kept. " + health.Problem!.Message);
        }

        var hash = received is null ? await HashAsync(staging, upload.Length, cancellationToken) : SizeChecked(staging, upload.Length, received);
        if (!hash.IsSuccess)
        {
            return hash.Error!;
        }

        if (upload.ExpectedSha256 is { } expected && !CryptographicOperations.FixedTimeEquals(expected, hash.Value))
        {
            return new Error("upload.hash_mismatch", "The file's SHA-256 is not the one declared in its metadata; nothing was created.");
        }

        var finalPath = UploadTarget.Join(target.ParentPath, target.Name);
        var payload = JsonSerializer.Serialize(new { root = root.Id, upload = upload.Id, folderId = target.Folder.Id, path = finalPath, replace = upload.ReplaceExisting });
        var holder = await LockRequest.HolderNameAsync(contexts, actor.UserId, cancellationToken);
        // The path lock first: a refusal there changes nothing, on disk or in the catalog, so it needs no job.
        var acquired = await locks.AcquireAsync(new LockRequest(root.Id, [finalPath], "upload", holder), LockTtl, cancellationToken);
        if (!acquired.IsSuccess)
        {
            return acquired.Error!;
        }

        await using var lease = acquired.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Then, in one statement and one commit (its WAL flush) before the disk changes (the design's invariant 4): the job
        // row, running, and, under the lock, the destination as it is now with what holds the file's name in it.
        var (job, current) = await StartUnderLockAsync(db, actor, payload, target, cancellationToken);
        using var stop = new CancellationTokenSource();
        try
        {
            // The replaced file goes to the trash as a job step does: fenced by this completion's own lock.
            var run = new JobRun(job, lease, jobs, events, time, stop);
            // A placed file's job succeeded in the same commit as its catalog row (PlaceAsync); only a refusal is recorded here.
            var result = await PlaceAsync(db, actor, upload, recorded, target, current, staging, hash.Value, run, cancellationToken);
            if (!result.IsSuccess)
            {
                await jobs.FinishAsync(job.Id, JobStatus.Failed, result.Error!.Message, CancellationToken.None);
            }
            else
            {
                logger.LogInformation("{User} completed upload {Upload} as entry {Entry}", actor.UserId, upload.Id, result.Value);
                await content.FilesAddedAsync([new AddedFile(result.Value, target.Name)], CancellationToken.None);
            }

            return result;
        }
        catch (Exception ex)
        {
            await jobs.FinishAsync(job.Id, JobStatus.Failed, ex.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// The upload's job, inserted running (<see cref="JobLedger.Started"/>), and the destination folder's
    /// path as it is now with the holder of the file's name in it, in one round trip: the job's commit is this statement's.
    /// </summary>
    /// <remarks>
    /// The folder may have moved between the check and the lock, so the lock then guards the wrong path: it is read
    /// again here, under the lock. The holder is written out rather than left to EF: EF translated the holder's
    /// FirstOrDefault into a ROW_NUMBER() over every active entry of that name in every folder, which PostgreSQL answered
    /// with a scan of the whole entries table on each upload (2 ms per file at 6,000 entries, growing with the catalog);
    /// the lateral subquery is one probe of the folder's name index. The job row comes out whatever the folder's state
    /// (the join starts from it), so a refusal that follows can be recorded on it.
    /// </remarks>
    private async Task<(Job Job, FolderAndHolder Current)> StartUnderLockAsync(
        FileVaultDbContext db, AccessSubject actor, string payload, UploadTarget target, CancellationToken cancellationToken)
    {
        var job = JobLedger.Started(actor.UserId, new NewJob("upload", "operations", payload), instance.InstanceId, time.GetUtcNow());
        var key = EntryName.Key(target.Name);
        var rows = await db.Database.SqlQuery<FolderAndHolder>($"""
            WITH job AS (
                INSERT INTO jobs (type, queue, payload, owner_id, status, progress, attempts, cancel_requested, created_at, started_at,
                                  heartbeat_at, claimed_by, locks)
                VALUES ({job.Type}, {job.Queue}, {job.Payload}::jsonb, {job.OwnerId}, {(short)job.Status}, {job.Progress}, {job.Attempts},
                        {job.CancelRequested}, {job.CreatedAt}, {job.StartedAt}, {job.HeartbeatAt}, {job.ClaimedBy}, {job.Locks}::jsonb)
                RETURNING id)
            SELECT job.id AS job_id, f.relative_path, t.id AS holder_id, t.relative_path AS holder_path, t.kind AS holder_kind
            FROM job
            LEFT JOIN entries f ON f.id = {target.Folder.Id} AND f.state = {(short)EntryState.Active}
            LEFT JOIN LATERAL (
                SELECT id, relative_path, kind FROM entries
                WHERE parent_id = f.id AND sort_group IN (0, 1) AND name_key = {key} AND state = {(short)EntryState.Active}
                LIMIT 1) t ON true
            """).ToListAsync(cancellationToken);
        var row = rows.Single();
        job.Id = row.JobId;
        return (job, row);
    }

    /// <summary>Under the lock: the destination as it was read with the job, its subfolders, the rename, the catalog.</summary>
    private async Task<Result<long>> PlaceAsync(
        FileVaultDbContext db, AccessSubject actor, Upload upload, bool recorded, UploadTarget target, FolderAndHolder current, string staging,
        byte[] hash, JobRun run, CancellationToken cancellationToken)
    {
        var root = target.Root;
        var key = EntryName.Key(target.Name);
        if (current.RelativePath != target.Folder.RelativePath)
        {
            return new Error("lock.conflict", "The destination folder was moved meanwhile; try again.");
        }

        var parent = (Id: target.Folder.Id, Path: target.Folder.RelativePath);
        // Every folder that may have gained an entry: a subfolder made for a folder upload changes the destination too.
        var changed = new List<(long Id, string Path)> { parent };
        foreach (var name in target.Subfolders?.Split('/') ?? [])
        {
            var folder = await EnsureFolderAsync(db, actor, root, parent, name, cancellationToken);
            if (!folder.IsSuccess)
            {
                return folder.Error!;
            }

            parent = folder.Value;
            changed.Add(parent);
            // Asked again on the folder as it is spelled on disk: an existing folder found by its NFC name may be
            // spelled in NFD (made on a Mac), and a deny sits on that spelling, which the request's NFC path missed.
            if (!await access.CanWriteAsync(actor, root.Id, parent.Path, cancellationToken))
            {
                return new Error("auth.forbidden", "You may not upload into this folder.");
            }
        }

        var taken = parent.Id == target.Folder.Id ? current.Holder()
            : await db.Entries.ActiveNamed(parent.Id, key)
                .Select(e => new NameHolder(e.Id, e.RelativePath, e.Kind)).FirstOrDefaultAsync(cancellationToken);
        if (taken is not null)
        {
            if (!upload.ReplaceExisting)
            {
                return await writeAccess.NameTakenAsync(actor, root.Id, taken.RelativePath, target.Name, cancellationToken);
            }

            if (await writeAccess.ToReplaceAsync(actor, root.Id, taken.RelativePath, target.Name, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (taken.Kind == EntryKind.Directory)
            {
                return FolderNotReplaced(target.Name);
            }

            // Idempotent per job and entry. A kill after this leaves the old file in the trash and every byte staged: the
            // next HEAD completes the upload into the name it freed.
            var trashed = await trash.TrashAsync(run, root, taken.Id, taken.RelativePath, actor.UserId, CancellationToken.None);
            if (!trashed.IsSuccess && trashed.Error!.Code != "entry.not_found")
            {
                return trashed.Error;
            }
        }

        var destination = PathGuard.ResolveForWrite(root.Path, UploadTarget.Join(parent.Path, target.Name));
        if (!destination.IsSuccess)
        {
            return destination.Error!;
        }

        // The staging mode (0600) would hide the file from everyone else who reads the share.
        var errno = NativeFileSystem.SetMode(staging, NativeFileSystem.NewFileMode);
        errno = errno != 0 ? errno : NativeFileSystem.RenameNoReplace(staging, destination.Value);
        if (errno != 0)
        {
            NativeFileSystem.SetMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return NativeFileSystem.ChangeRefused(errno, target.Name, "the upload is kept");
        }

        var parentDirectory = Path.GetDirectoryName(destination.Value)!;
        NativeFileSystem.SyncDirectory(parentDirectory);
        var relativePath = UploadTarget.Join(parent.Path, target.Name);
        var stat = UnixFileStat.TryGet(destination.Value);
        var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(destination.Value));
        var now = time.GetUtcNow();
        var touchedIds = changed.Select(f => f.Id).ToArray();
        var touchedAt = changed.Select(f => CatalogChanges.MtimeOf(f.Id == parent.Id ? parentDirectory
            : PathGuard.ResolveForWrite(root.Path, f.Path) is { IsSuccess: true } onDisk ? onDisk.Value : parentDirectory)).ToArray();
        var jobId = run.Job.Id;
        var audited = $"{root.Name}/{relativePath}";
        var detail = AuditTrail.Detail(new { size = upload.Length, sha256 = Convert.ToHexStringLower(hash) });
        var placed = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            // One statement, one round trip, its own transaction (a statement outside a transaction block commits alone,
            // all or nothing): the catalog row (a missing row left at this path by an earlier scan is the old file's record
            // and is reused), the upload's record (updated when it has one; a file sent whole with its creation gets its
            // row now, completed, so a late HEAD still answers), the job's end, which succeeds in the same commit as the
            // catalog change (never a file catalogued while its job reads as running), and the audit row. As BEGIN, the
            // statements, a savepoint and COMMIT it took five round trips per file.
            var id = await CatalogChanges.PlaceFileAsync(db, new PlacedFile(root.Id, parent.Id, target.Name, relativePath, upload.Length, modified, hash,
                stat?.Device ?? 0, stat?.Inode ?? 0, actor.UserId, now), $"""
                , recorded AS (
                    UPDATE uploads SET status = {(short)UploadStatus.Completed}, entry_id = (SELECT id FROM placed), "offset" = {upload.Length}
                    WHERE id = {upload.Id} AND {recorded}),
                added AS (
                    INSERT INTO uploads (id, owner_id, root_id, folder_id, file_name, subfolders, length, "offset", expected_sha256, created_at,
                                         expires_at, status, entry_id, replace_existing)
                    SELECT {upload.Id}, {upload.OwnerId}, {upload.RootId}, {upload.FolderId}, {upload.FileName}, {upload.Subfolders}::varchar,
                           {upload.Length}, {upload.Length}, {upload.ExpectedSha256}::bytea, {upload.CreatedAt}, {upload.ExpiresAt},
                           {(short)UploadStatus.Completed}, (SELECT id FROM placed), {upload.ReplaceExisting}
                    WHERE NOT {recorded}),
                finished AS (
                    UPDATE jobs SET status = {(short)JobStatus.Succeeded}, result_entry_id = (SELECT id FROM placed), progress = 1, finished_at = {now}
                    WHERE id = {jobId}),
                audit AS (
                    INSERT INTO audit_log (at, actor_id, action, target, detail, result)
                    VALUES ({now}, {actor.UserId}, 'entry.upload', {audited}, {detail}::jsonb, {(short)AuditResult.Succeeded}))
                """, cancellationToken);
            return Result<long>.Success(id);
        });
        // The open folder's page polls its stamp: moved, the new file shows up for everyone who has it open. Handed to
        // FolderStamps, which writes it shortly after, gathered with the stamps of the other files arriving meanwhile:
        // inside the catalog's transaction the folder's row stayed locked through that commit's WAL flush (the files of
        // one folder upload, completing side by side, queued behind each other), and as a statement of each request's
        // own it cost every file a round trip.
        stamps.Move(touchedIds, touchedAt);
        return placed;
    }

    /// <summary>
    /// A subfolder of a folder upload: the one already there (found by its NFC name, spelled as on disk), or a new one
    /// in NFC with its catalog row, as new folder makes it. Its id and catalog path.
    /// </summary>
    private async Task<Result<(long Id, string Path)>> EnsureFolderAsync(
        FileVaultDbContext db, AccessSubject actor, StorageRoot root, (long Id, string Path) parent, string name, CancellationToken cancellationToken)
    {
        var wanted = PathGuard.Parse(UploadTarget.Join(parent.Path, name));
        if (!wanted.IsSuccess)
        {
            return wanted.Error!;
        }

        var existing = PathGuard.ResolveExisting(root.Path, wanted.Value);
        string path;
        if (existing.IsSuccess)
        {
            // A link to a folder elsewhere in the root is not followed: nothing is written through links.
            if (new FileInfo(existing.Value).LinkTarget is not null || !Directory.Exists(existing.Value))
            {
                return new Error("name.conflict", $"\"{name}\" exists in this folder and is not a folder.");
            }

            path = UploadTarget.Join(parent.Path, Path.GetFileName(existing.Value));
        }
        else if (existing.Error!.Code == "path.not_found")
        {
            var created = PathGuard.ResolveForWrite(root.Path, UploadTarget.Join(parent.Path, name));
            if (!created.IsSuccess)
            {
                return created.Error!;
            }

            var errno = NativeFileSystem.CreateDirectory(created.Value, NativeFileSystem.NewFolderMode);
            // EEXIST with a real folder there: another file of the same folder upload, completing at the same moment,
            // made it first. Both files belong in it.
            var madeMeanwhile = errno == NativeFileSystem.EExist && new FileInfo(created.Value) is { LinkTarget: null } made && Directory.Exists(made.FullName);
            if (errno != 0 && !madeMeanwhile)
            {
                return NativeFileSystem.ChangeRefused(errno, name, "the upload is kept");
            }

            path = UploadTarget.Join(parent.Path, name);
        }
        else
        {
            return existing.Error;
        }

        var resolved = PathGuard.ResolveForWrite(root.Path, path);
        if (!resolved.IsSuccess)
        {
            return resolved.Error!;
        }

        var full = resolved.Value;
        var id = await CatalogChanges.InsertFolderRowAsync(db, root.Id, parent.Id, Path.GetFileName(path), path, full, actor.UserId, time.GetUtcNow(), cancellationToken);
        return (id, path);
    }

    /// <summary>The hash taken while the bytes arrived, if the staged file holds exactly the declared length (R-UP-3).</summary>
    private static Result<byte[]> SizeChecked(string staging, long length, byte[] received)
    {
        var size = new FileInfo(staging) is { Exists: true } file ? file.Length : -1;
        return size == length ? received : new Error("upload.hash_mismatch", $"The staged file holds {size} bytes, not the declared {length}.");
    }

    /// <summary>SHA-256 of the staged file, which must hold exactly the declared length (R-UP-3).</summary>
    private static async Task<Result<byte[]>> HashAsync(string staging, long length, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(staging, new FileStreamOptions { Mode = System.IO.FileMode.Open, Access = FileAccess.Read, BufferSize = 0 });
        if (stream.Length != length)
        {
            return new Error("upload.hash_mismatch", $"The staged file holds {stream.Length} bytes, not the declared {length}.");
        }

        return await SHA256.HashDataAsync(stream, cancellationToken);
    }

    /// <summary>The entry that holds a name in a folder.</summary>
    private sealed record NameHolder(long Id, string RelativePath, EntryKind Kind);

    /// <summary>
    /// The upload's job id (read into <see cref="Job.Id"/>), with the destination folder's path as it is now (null: gone)
    /// and what holds the file's name in it (null columns: nothing).
    /// </summary>
    private sealed record FolderAndHolder(long JobId, string? RelativePath, long? HolderId, string? HolderPath, EntryKind? HolderKind)
    {
        public NameHolder? Holder() => HolderId is { } id ? new NameHolder(id, HolderPath!, HolderKind!.Value) : null;
    }

    internal static Error FolderNotReplaced(string name) =>
        new("name.conflict", $"\"{name}\" is a folder here, and a file does not replace a folder. Choose skip or keep both.");

    private static string Join(string? folder, string name) => string.IsNullOrEmpty(folder) ? name : folder + "/" + name;
}
