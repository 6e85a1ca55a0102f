using System.Buffers;
using System.Security.Cryptography;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FileVault.Core.Uploads;

/// <summary>What a client asks to upload: tus Upload-Length and the decoded Upload-Metadata.</summary>
/// <param name="RelativePath">A folder upload's path under the destination, file name last ("a/b/c.txt"); it names the file when given.</param>
/// <param name="Sha256">The whole file's SHA-256 in hex, compared at completion.</param>
/// <param name="Replace">The user chose "replace" for a taken name: the file holding it goes to the trash at completion.</param>
public sealed record UploadRequest(long FolderId, string? FileName, string? RelativePath, long Length, string? Sha256, bool Replace = false);

/// <summary>An upload as the tus endpoints report it; <paramref name="EntryId"/> once it is complete.</summary>
public sealed record UploadState(string Id, long Offset, long Length, DateTimeOffset ExpiresAt, long? EntryId);

/// <summary>A tus Upload-Checksum: the algorithm and the digest of one PATCH body.</summary>
public sealed record ChunkChecksum(string Algorithm, byte[] Digest)
{
    /// <summary>What Tus-Checksum-Algorithm announces.</summary>
    public static readonly string[] Algorithms = ["sha1", "sha256"];
}

/// <summary>
/// The tus 1.0 upload store (RELIABILITY R-UP-1..10): creates upload resources after checking destination, names,
/// access, limits and free space; appends PATCH bodies at exactly the recorded offset, one PATCH at a time across
/// instances (a PostgreSQL session lock), recording an offset only after the bytes are fsynced; terminates uploads; and hands a
/// fully received upload to <see cref="UploadCompletion"/>. Only the creator, or an admin, sees an upload: to anyone
/// else it does not exist (R-UP-9). The one-at-a-time lease is an <see cref="UploadLease"/>, which dies with the process
/// holding it, so a resume after a crash is never refused.
/// </summary>
/// <remarks>
/// Codes: <c>upload.not_found</c> 404, <c>upload.expired</c> 410, <c>upload.offset_mismatch</c> 409, <c>upload.locked</c>
/// 423, <c>upload.too_large</c> / <c>upload.exceeds_length</c> / <c>upload.quota_exceeded</c> 413, <c>upload.too_many</c>
/// 429, <c>upload.checksum_mismatch</c> 460, <c>upload.checksum_unsupported</c> / <c>upload.metadata_invalid</c> 400,
/// <c>storage.insufficient</c> 507, plus the path guard's and the access evaluator's.
/// </remarks>
public sealed class UploadStore(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    WriteAccess writeAccess,
    UploadCompletion completion,
    UploadHashes hashes,
    PendingChunks pending,
    AccessVersion accessVersion,
    NpgsqlDataSource dataSource,
    IOptions<UploadOptions> options,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<UploadStore> logger)
{
    private const int ENoSpc = 28;

    // Failures that a later PATCH may get past: the upload and its bytes are kept for it.
    private static readonly HashSet<string> PassingFailures = ["lock.conflict", "lock.unavailable", "root.unhealthy", "io.failed"];

    public async Task<Result<UploadState>> CreateAsync(AccessSubject actor, UploadRequest request, CancellationToken cancellationToken)
    {
        var prepared = await PrepareAsync(actor, request, cancellationToken);
        if (!prepared.IsSuccess)
        {
            return prepared.Error!;
        }

        var (upload, root, _) = prepared.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The row first: a staging file without one would never be found by the expiry schedule.
        if (await AddWithinLimitsAsync(db, upload, options.Value, upload.CreatedAt, cancellationToken) is { } overLimit)
        {
            return overLimit;
        }

        if (StagingArea.Create(root.Path, upload.Id) is { } failed)
        {
            await db.Uploads.Where(u => u.Id == upload.Id).ExecuteDeleteAsync(CancellationToken.None);
            return failed;
        }

        logger.LogInformation("{User} started upload {Upload} of {Length} bytes into folder {Folder}", actor.UserId, upload.Id, upload.Length, upload.FolderId);
        return State(upload);
    }

    /// <summary>
    /// tus creation-with-upload: the POST carries the first bytes. When it carries the whole file (a folder upload's small
    /// files, in one request each) the file is staged, checked and placed in this one request, with no upload record until
    /// the completion's commit writes it already completed; see <see cref="CreateWholeAsync"/>. Any other body is created
    /// and appended as a PATCH would be; if that fails, or the client goes away before the answer, the new upload is
    /// discarded, since the client never learned its address.
    /// </summary>
    public async Task<Result<UploadState>> CreateWithBodyAsync(
        AccessSubject actor, UploadRequest request, Stream body, long? bodyLength, ChunkChecksum? checksum, byte[]? fileSha256,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (bodyLength == request.Length && request.Length <= options.Value.MaxChunkBytes)
        {
            return await CreateWholeAsync(actor, request, body, checksum, fileSha256, cancellationToken);
        }

        var created = await CreateAsync(actor, request, cancellationToken);
        if (!created.IsSuccess || bodyLength == 0)
        {
            return created;
        }

        var appended = await AppendAsync(actor, created.Value.Id, 0, body, bodyLength, checksum, fileSha256, cancellationToken);
        // A client that went away mid-body (its body ended short, or the request was aborted) never learned the upload's
        // address either: nothing could ever resume it.
        var unreachable = !appended.IsSuccess || cancellationToken.IsCancellationRequested || appended.Value.Offset < bodyLength;
        if (unreachable && await FindAsync(actor, created.Value.Id, CancellationToken.None) is { IsSuccess: true } left)
        {
            await DiscardAsync(left.Value.Root, created.Value.Id);
        }

        return appended;
    }

    /// <summary>
    /// A whole file in the creation request: the same checks as <see cref="CreateAsync"/> (destination, names, access, a
    /// taken name and replace, free space), then the bytes staged and fsynced with their SHA-256, then the completion
    /// (checked again under the path lock), whose commit records the upload as completed. No row is written before: the
    /// upload never waits unfinished for a later request, so it counts against no per-user limit of unfinished uploads
    /// (it holds at most one chunk, <see cref="UploadOptions.MaxChunkBytes"/>, for as long as the request lasts), and a
    /// staging file left by a crash mid-request, which has no row, is deleted by the expiry schedule once it is older
    /// than the expiry. Any failure deletes the staged bytes: the client still has the file and may send it again.
    /// </summary>
    private async Task<Result<UploadState>> CreateWholeAsync(
        AccessSubject actor, UploadRequest request, Stream body, ChunkChecksum? checksum, byte[]? fileSha256, CancellationToken cancellationToken)
    {
        if (checksum is not null && !ChunkChecksum.Algorithms.Contains(checksum.Algorithm))
        {
            return new Error("upload.checksum_unsupported", "Upload-Checksum supports sha1 and sha256.");
        }

        // Read before the checks: a grant, group or role change committed while they run moves it past this.
        var checkedUnder = accessVersion.Current;
        var checkedAt = time.GetTimestamp();
        var prepared = await PrepareAsync(actor, request, cancellationToken);
        if (!prepared.IsSuccess)
        {
            return prepared.Error!;
        }

        var (upload, root, target) = prepared.Value;
        if (fileSha256 is not null && upload.ExpectedSha256 is { } declared && !CryptographicOperations.FixedTimeEquals(declared, fileSha256))
        {
            return new Error("upload.hash_mismatch", "The SHA-256 sent with the file is not the one declared in the metadata; nothing was stored.");
        }

        upload.ExpectedSha256 = fileSha256 ?? upload.ExpectedSha256;
        if (StagingArea.Create(root.Path, upload.Id) is { } failed)
        {
            return failed;
        }

        try
        {
            using var running = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var staging = StagingArea.OpenForWrite(root.Path, upload.Id))
            {
                if (staging is null)
                {
                    return new Error("io.failed", "The upload's staging file vanished; nothing was stored.");
                }

                var written = await WriteChunkAsync(staging, 0, upload.Length, body, checksum, running, sync: true, cancellationToken);
                if (!written.IsSuccess)
                {
                    return written.Error!;
                }

                if (!written.Value.Whole || written.Value.Bytes != upload.Length)
                {
                    return new Error("upload.incomplete", $"The request ended after {written.Value.Bytes} of {upload.Length} bytes; nothing was stored.");
                }
            }

            upload.Offset = upload.Length;
            // Not cut short when the client goes away, as a PATCH's completion.
            var completed = await completion.CompleteAsync(actor, upload, root, running.GetHashAndReset(), recorded: false, CancellationToken.None,
                new CheckedTarget(target, checkedUnder, checkedAt));
            if (!completed.IsSuccess)
            {
                logger.LogInformation("Upload {Upload} sent whole with its creation could not be completed: {Code}", upload.Id, completed.Error!.Code);
                return completed.Error;
            }

            upload.Status = UploadStatus.Completed;
            upload.EntryId = completed.Value;
            return State(upload);
        }
        finally
        {
            // Placed, it is no longer there (the rename took it); otherwise nothing of it stays.
            StagingArea.Delete(root.Path, upload.Id);
        }
    }

    /// <summary>
    /// Everything asked before an upload may accept a byte (R-UP-4): its size and declared hash, the destination, names
    /// and write permission, a taken name (and whether the caller may replace it), the mount and free space. The upload as
    /// it would be recorded, not yet stored anywhere.
    /// </summary>
    private async Task<Result<(Upload Upload, StorageRoot Root, UploadTarget Target)>> PrepareAsync(AccessSubject actor, UploadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        if (request.Length < 0)
        {
            return new Error("upload.metadata_invalid", "Upload-Length must be a whole number of bytes.");
        }

        if (request.Length > settings.MaxSizeBytes)
        {
            return new Error("upload.too_large", $"The file is {request.Length} bytes; at most {settings.MaxSizeBytes} may be uploaded.");
        }

        byte[]? sha256 = null;
        if (request.Sha256 is { } hex && (hex.Length != 64 || !TryParseHex(hex, out sha256)))
        {
            return new Error("upload.metadata_invalid", "The sha256 metadata must be 64 hexadecimal digits.");
        }

        var target = await UploadTarget.ResolveAsync(contexts, access, actor, request.FolderId, request.FileName, request.RelativePath, cancellationToken);
        if (!target.IsSuccess)
        {
            return target.Error!;
        }

        var (root, folder, subfolders, name, holder) = target.Value;
        var health = await MountHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        if (!health.IsHealthy)
        {
            return new Error("root.unhealthy", "The storage is not available right now; nothing was stored. " + health.Problem!.Message);
        }

        var now = time.GetUtcNow();
        // What holds the name was read with the folder (UploadTarget.Holder); only when the file lands in the folder itself.
        if (subfolders is null)
        {
            if (holder is not null && !request.Replace)
            {
                // Said the same whether or not the uploader may read what holds the name: only that it is taken.
                return new Error("name.conflict", $"The name \"{name}\" is taken in this folder.");
            }

            // Replace asks what WriteAccess asks of every replace (an unreadable holder is only "unavailable"); a folder
            // is never replaced by a file. Asked again at completion.
            if (holder is not null && await writeAccess.ToReplaceAsync(actor, root.Id, holder.RelativePath, name, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (holder is { Kind: EntryKind.Directory })
            {
                return UploadCompletion.FolderNotReplaced(name);
            }
        }

        if (new DriveInfo(root.Path).AvailableFreeSpace < request.Length)
        {
            return new Error("storage.insufficient", "There is not enough free space on the storage for this file.");
        }

        var upload = new Upload
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            OwnerId = actor.UserId,
            RootId = root.Id,
            FolderId = folder.Id,
            FileName = name,
            Subfolders = subfolders,
            Length = request.Length,
            ExpectedSha256 = sha256,
            ReplaceExisting = request.Replace,
            CreatedAt = now,
            ExpiresAt = now + TimeSpan.FromHours(settings.ExpiryHours),
        };
        return (upload, root, target.Value);
    }

    /// <summary>
    /// Counts the owner's open uploads and their bytes and inserts the new one in one transaction, under a lock on the
    /// owner: checked and inserted separately, parallel creations (on any instance) would each see room for one more
    /// and together pass the limits.
    /// </summary>
    private static async Task<Error?> AddWithinLimitsAsync(
        FileVaultDbContext db, Upload upload, UploadOptions settings, DateTimeOffset now, CancellationToken cancellationToken) =>
        // The retrying strategy replays the whole unit if PostgreSQL drops mid-way.
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Held until commit or rollback; other users' creations are not held up.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({UploadLimitLockNamespace}, {OwnerLockKey(upload.OwnerId)})", cancellationToken);
            var open = db.Uploads.Where(u => u.OwnerId == upload.OwnerId && u.Status == UploadStatus.Receiving && u.ExpiresAt > now);
            if (await open.CountAsync(cancellationToken) >= settings.MaxConcurrentPerUser)
            {
                return new Error("upload.too_many", $"You have {settings.MaxConcurrentPerUser} unfinished uploads; finish or cancel one first.");
            }

            var staged = await open.SumAsync(u => u.Length, cancellationToken);
            if (staged + upload.Length > settings.MaxStagingBytesPerUser)
            {
                return new Error("upload.quota_exceeded", $"Your unfinished uploads would hold more than {settings.MaxStagingBytesPerUser} bytes.");
            }

            db.Uploads.Add(upload);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (Error?)null;
        });

    // "FVUP": the namespace of the per-user upload-limit advisory locks (the scanner's per-root locks use "FVSC").
    private const int UploadLimitLockNamespace = 0x46565550;

    /// <summary>The user's key within that namespace; two users sharing one only wait for each other a moment.</summary>
    private static int OwnerLockKey(Guid ownerId)
    {
        Span<byte> bytes = stackalloc byte[16];
        ownerId.TryWriteBytes(bytes);
        return BitConverter.ToInt32(bytes[..4]) ^ BitConverter.ToInt32(bytes[4..8]) ^ BitConverter.ToInt32(bytes[8..12]) ^ BitConverter.ToInt32(bytes[12..]);
    }

    /// <summary>
    /// The upload's offset and length (HEAD); <c>upload.not_found</c> for anyone but its creator and admins. A fully
    /// received upload that is not yet in place is completed first.
    /// </summary>
    public async Task<Result<UploadState>> GetAsync(AccessSubject actor, string id, CancellationToken cancellationToken)
    {
        // The offset this process last answered, once it is recorded.
        await pending.SettledAsync(id, cancellationToken);
        var found = await FindAsync(actor, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        var (upload, root) = found.Value;
        if (upload.Status != UploadStatus.Receiving)
        {
            return State(upload);
        }

        // Never more than the file holds, even before the next PATCH repairs the record (R-UP-6).
        var staged = new FileInfo(StagingArea.PathOf(root.Path, upload.Id));
        upload.Offset = Math.Min(upload.Offset, staged.Exists ? staged.Length : 0);
        if (upload.Offset < upload.Length)
        {
            return State(upload);
        }

        // Every byte is here but the file is not in place: its completion failed for a passing reason or was cut off by
        // a crash. Reporting the full offset would make the client call the upload done, so it is completed now.
        var leased = await LeaseAsync(id, cancellationToken);
        if (!leased.IsSuccess)
        {
            return leased.Error!;
        }

        await using var lease = leased.Value;
        found = await FindAsync(actor, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        upload = found.Value.Upload;
        staged.Refresh();
        upload.Offset = Math.Min(upload.Offset, staged.Exists ? staged.Length : 0);
        return upload.Status == UploadStatus.Completed || upload.Offset < upload.Length ? State(upload) : await CompleteAsync(actor, upload, root, null);
    }

    /// <summary>
    /// Appends one PATCH body at <paramref name="offset"/>. Nothing is written unless the offset is exactly the recorded
    /// one; a body that would pass Upload-Length, or whose checksum does not match, leaves the staging file as it was
    /// before the call. A body cut off by the client keeps what arrived (without a checksum) and records it.
    /// When the last byte arrives the upload is completed, and the state carries the new entry's id.
    /// <paramref name="fileSha256"/> is the whole file's SHA-256 from a client that computes it while it reads the file, so
    /// it knows it only by the last PATCH: it is recorded and compared at completion as the <c>sha256</c> metadata is.
    /// </summary>
    public async Task<Result<UploadState>> AppendAsync(
        AccessSubject actor, string id, long offset, Stream body, long? bodyLength, ChunkChecksum? checksum, byte[]? fileSha256,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (checksum is not null && !ChunkChecksum.Algorithms.Contains(checksum.Algorithm))
        {
            return new Error("upload.checksum_unsupported", "Upload-Checksum supports sha1 and sha256.");
        }

        // A chunk this process answered before it was durable is synced and recorded first: this request then finds the
        // offset it was told and the lease free.
        await pending.SettledAsync(id, cancellationToken);
        // The lease first, then one read of the upload and its root: a lease on an id that is not the caller's only
        // leads to the same 404 as before, and each PATCH costs one round trip less.
        var leased = await LeaseAsync(id, cancellationToken);
        if (!leased.IsSuccess)
        {
            return leased.Error!;
        }

        var lease = leased.Value;
        FileStream? staging = null;
        IncrementalHash? running = null;
        var handedOver = false;
        try
        {
            var found = await FindAsync(actor, id, cancellationToken);
            if (!found.IsSuccess)
            {
                return found.Error!;
            }

            var (upload, root) = found.Value;
            if (upload.Status == UploadStatus.Completed)
            {
                return offset == upload.Length && bodyLength is null or 0
                    ? State(upload)
                    : new Error("upload.offset_mismatch", $"The upload is complete at {upload.Length} bytes.");
            }

            if (fileSha256 is not null && upload.ExpectedSha256 is { } declared && !CryptographicOperations.FixedTimeEquals(declared, fileSha256))
            {
                // The file cannot match both: nothing of it can ever be placed.
                await DiscardAsync(root, upload.Id);
                return new Error("upload.hash_mismatch", "The SHA-256 sent with the last chunk is not the one declared in the metadata; the upload was discarded.");
            }

            upload.ExpectedSha256 = fileSha256 ?? upload.ExpectedSha256;
            staging = StagingArea.OpenForWrite(root.Path, upload.Id);
            if (staging is null)
            {
                return new Error("upload.not_found", "The upload's bytes are gone; start it again.");
            }

            var durable = await RecoverAsync(upload, staging, cancellationToken);
            if (offset != durable)
            {
                return new Error("upload.offset_mismatch", $"The upload is at offset {durable}, not {offset}.");
            }

            if (bodyLength > upload.Length - durable)
            {
                return new Error("upload.exceeds_length", $"The body would pass Upload-Length ({upload.Length} bytes).");
            }

            // A chunk that surely leaves the upload unfinished (its length is declared and short of the end) is answered
            // once written, and synced and recorded after the answer (see SettleAsync); the one that ends the upload is
            // synced before its completion, as every body of unknown length is.
            var answerFirst = bodyLength is { } declaredBody && durable + declaredBody < upload.Length;
            // The whole file's hash, carried on from the chunks before when this process received them.
            running = hashes.Take(upload.Id, durable);
            var written = await WriteChunkAsync(staging, durable, upload.Length - durable, body, checksum, running, sync: !answerFirst, cancellationToken);
            if (!written.IsSuccess || !written.Value.Whole)
            {
                // The running hash took bytes that are not kept: completion hashes the staged file instead.
                running?.Dispose();
                running = null;
            }

            if (!written.IsSuccess)
            {
                return written.Error!;
            }

            upload.Offset = durable + written.Value.Bytes;
            upload.ExpiresAt = time.GetUtcNow() + TimeSpan.FromHours(options.Value.ExpiryHours);
            if (answerFirst && written.Value.Whole)
            {
                if (running is not null)
                {
                    hashes.Put(upload.Id, upload.Offset, running);
                    running = null;
                }

                pending.Track(upload.Id, SettleAsync(lease, staging, upload, durable));
                handedOver = true;
                return State(upload);
            }

            if (!await lease.RecordAsync(upload.Id, durable, upload.Offset, upload.ExpiresAt, upload.ExpectedSha256))
            {
                return new Error("upload.not_found", "The upload was cancelled or expired while this chunk arrived.");
            }

            await staging.DisposeAsync();
            staging = null;
            if (upload.Offset < upload.Length)
            {
                if (running is not null)
                {
                    hashes.Put(upload.Id, upload.Offset, running);
                    running = null;
                }

                return State(upload);
            }

            byte[]? received = null;
            if (running is not null)
            {
                received = running.GetHashAndReset();
            }

            return await CompleteAsync(actor, upload, root, received);
        }
        finally
        {
            running?.Dispose();
            if (!handedOver)
            {
                if (staging is not null)
                {
                    await staging.DisposeAsync();
                }

                await lease.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// After the answer to a chunk that left its upload unfinished: the fsync, then the offset recorded, then the lease
    /// released. The recorded offset therefore still never passes what is durable (R-UP-6): a crash before the record
    /// leaves the one before it, and the client's resume, told by HEAD, sends the chunk again. Meanwhile the client reads
    /// and sends its next chunk, which waits here (<see cref="PendingChunks"/>) only for what is left of this sync: the
    /// disk's writeback and the client's reading overlap instead of taking turns. Never throws: a sync or record that
    /// fails leaves the offset where it was, and the next PATCH, sent from the answered offset, learns the recorded one
    /// (409 <c>upload.offset_mismatch</c>) and resumes from there.
    /// </summary>
    private async Task SettleAsync(UploadLease lease, FileStream staging, Upload upload, long from)
    {
        try
        {
            await Task.Run(() => staging.Flush(flushToDisk: true));
            if (!await lease.RecordAsync(upload.Id, from, upload.Offset, upload.ExpiresAt, upload.ExpectedSha256))
            {
                hashes.Forget(upload.Id);
                logger.LogInformation("Upload {Upload} was cancelled or expired while its chunk was synced", upload.Id);
            }
        }
        catch (Exception ex)
        {
            hashes.Forget(upload.Id);
            logger.LogWarning(ex, "Upload {Upload}: the chunk up to {Offset} was not synced or recorded; the client resumes from {From}",
                upload.Id, upload.Offset, from);
        }
        finally
        {
            try
            {
                await staging.DisposeAsync();
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Upload {Upload}: closing the staging file failed", upload.Id);
            }

            await lease.DisposeAsync();
        }
    }

    /// <summary>
    /// Places a fully received upload. A failure that can pass (a lock, the mount, I/O) keeps everything for the next
    /// HEAD or PATCH to try again; any other discards the upload, since the file can never be placed as asked.
    /// </summary>
    /// <param name="received">The file's SHA-256 as its bytes arrived, when this process saw them all; null to hash the staged file.</param>
    private async Task<Result<UploadState>> CompleteAsync(AccessSubject actor, Upload upload, StorageRoot root, byte[]? received)
    {
        // Not cut short when the client goes away: its next HEAD would find every byte stored and take the upload for done.
        var completed = await completion.CompleteAsync(actor, upload, root, received, recorded: true, CancellationToken.None);
        if (completed.IsSuccess)
        {
            upload.Status = UploadStatus.Completed;
            upload.EntryId = completed.Value;
            return State(upload);
        }

        if (!PassingFailures.Contains(completed.Error!.Code))
        {
            // A name taken meanwhile, the wrong bytes, access gone: nothing of it is kept, and the client's next request
            // learns the upload is gone.
            await DiscardAsync(root, upload.Id);
            logger.LogInformation("Upload {Upload} could not be completed and was discarded: {Code}", upload.Id, completed.Error.Code);
        }

        return completed.Error;
    }

    /// <summary>The staging file and the record go, and what this process knew of the upload's hash.</summary>
    private async Task DiscardAsync(StorageRoot root, string id)
    {
        hashes.Forget(id);
        StagingArea.Delete(root.Path, id);
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await db.Uploads.Where(u => u.Id == id).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>tus DELETE: the staging file and the record go; a finished upload's file stays where it is.</summary>
    public async Task<Result<bool>> TerminateAsync(AccessSubject actor, string id, CancellationToken cancellationToken)
    {
        await pending.SettledAsync(id, cancellationToken);
        var found = await FindAsync(actor, id, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        var leased = await LeaseAsync(id, cancellationToken);
        if (!leased.IsSuccess)
        {
            return leased.Error!;
        }

        await using var lease = leased.Value;
        await DiscardAsync(found.Value.Root, id);
        logger.LogInformation("{User} terminated upload {Upload}", actor.UserId, id);
        return true;
    }

    /// <summary>One request at a time per upload, on any instance (R-UP-5): the second gets <c>upload.locked</c> (423).</summary>
    private async Task<Result<UploadLease>> LeaseAsync(string id, CancellationToken cancellationToken) =>
        await UploadLease.TryAcquireAsync(dataSource, id, cancellationToken) is { } lease
            ? lease
            : new Error("upload.locked", "Another request is writing to this upload; try again when it has finished.");

    /// <summary>The upload and its root, in one query; <c>upload.not_found</c> for anyone but its creator and admins.</summary>
    private async Task<Result<(Upload Upload, StorageRoot Root)>> FindAsync(AccessSubject actor, string id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.Uploads.AsNoTracking().Where(u => u.Id == id)
            .Join(db.StorageRoots.AsNoTracking(), u => u.RootId, r => r.Id, (u, r) => new { Upload = u, Root = r })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null || (found.Upload.OwnerId != actor.UserId && !actor.IsAdministrator))
        {
            return new Error("upload.not_found", "No such upload.");
        }

        return found.Upload.Status == UploadStatus.Receiving && found.Upload.ExpiresAt <= time.GetUtcNow()
            ? new Error("upload.expired", "This upload has expired; start it again.")
            : (found.Upload, found.Root);
    }

    /// <summary>
    /// After a kill, the file may hold bytes whose offset was never recorded (or, on a file system that lost unsynced
    /// data, fewer than recorded): the smaller of the two is what is known to be stored, the rest is cut off (R-UP-6).
    /// </summary>
    private async Task<long> RecoverAsync(Upload upload, FileStream staging, CancellationToken cancellationToken)
    {
        var durable = Math.Min(upload.Offset, staging.Length);
        if (staging.Length != durable)
        {
            staging.SetLength(durable);
            staging.Flush(flushToDisk: true);
        }

        if (upload.Offset != durable)
        {
            upload.Offset = durable;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Uploads.Where(u => u.Id == upload.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Offset, durable), cancellationToken);
        }

        return durable;
    }

    // The most one read takes from the body, and how much is written before it is handed to the kernel to write back.
    private const int BlockBytes = 1024 * 1024;

    /// <summary>What one PATCH body left in the staging file: its bytes, and whether it ended whole (not cut off).</summary>
    private readonly record struct ChunkWritten(long Bytes, bool Whole);

    /// <summary>
    /// Copies the body to the staging file at <paramref name="start"/>, at most <paramref name="room"/> bytes, and fsyncs
    /// it (with <paramref name="sync"/>; otherwise only hands the rest to the kernel, for the caller to fsync); the count
    /// written. Every failure but a cut-off body without checksum leaves the file at <paramref name="start"/>.
    /// Each block is also added to <paramref name="running"/>, the whole file's hash so far, and handed to the kernel to
    /// write back while the next one arrives, so the fsync at the end waits only for the last of it.
    /// </summary>
    /// <remarks>
    /// Two blocks take turns: while one is written and hashed (in order, one block after another), the next is read from
    /// the request. Hashing on the reading path made the body wait for SHA-256, block by block.
    /// </remarks>
    private async Task<Result<ChunkWritten>> WriteChunkAsync(
        FileStream staging, long start, long room, Stream body, ChunkChecksum? checksum, IncrementalHash? running, bool sync, CancellationToken cancellationToken)
    {
        using var hash = checksum is null ? null : IncrementalHash.CreateHash(checksum.Algorithm == "sha1" ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
        byte[][] blocks = [ArrayPool<byte>.Shared.Rent(BlockBytes), ArrayPool<byte>.Shared.Rent(BlockBytes)];
        // The block being written and hashed, and how it ended: true when written, false on a full disk.
        Task<bool> sinking = Task.FromResult(true);
        long received = 0;
        long handedBack = 0;
        staging.Position = start;
        try
        {
            for (var turn = 0; ; turn ^= 1)
            {
                int read;
                try
                {
                    // What has arrived, up to a block: nothing that came is held back from the file.
                    read = await body.ReadAsync(blocks[turn].AsMemory(0, BlockBytes), cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                    // The client went away mid-chunk. Without a checksum what arrived is good and kept; with one it cannot be
                    // verified and goes.
                    var kept = await sinking && hash is null ? received : 0;
                    Settle(staging, start + kept);
                    logger.LogInformation("Upload body cut off after {Bytes} bytes ({Reason}); kept {Kept}", received, ex.GetType().Name, kept);
                    return new ChunkWritten(kept, Whole: false);
                }

                if (!await sinking)
                {
                    Settle(staging, start);
                    return new Error("storage.insufficient", "The storage is full; the bytes stored before this request are kept. Resume when space is freed.");
                }

                if (read == 0)
                {
                    break;
                }

                if (read > room - received)
                {
                    Settle(staging, start);
                    return new Error("upload.exceeds_length", "The body passes Upload-Length; nothing of it was stored.");
                }

                var block = blocks[turn];
                // The body's last bytes (all of a small file's) have nothing left to read beside them: written and hashed
                // here, without handing them to another thread and waking it.
                sinking = received + read == room ? Task.FromResult(Sink(staging, block, read, hash, running))
                    : Task.Run(() => Sink(staging, block, read, hash, running));
                received += read;
                if (received - handedBack >= BlockBytes)
                {
                    // Up to the block before this one, which is surely written.
                    var upTo = received - read;
                    NativeFileSystem.StartWriteback(staging.SafeFileHandle, start + handedBack, upTo - handedBack);
                    handedBack = upTo;
                }
            }

            if (hash is not null && !CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), checksum!.Digest))
            {
                Settle(staging, start);
                return new Error("upload.checksum_mismatch", "The chunk does not match its Upload-Checksum; it was discarded.");
            }

            if (sync)
            {
                staging.Flush(flushToDisk: true);
            }
            else
            {
                // The rest handed to the kernel now: the sync after the answer then waits for the disk, not for the start.
                staging.Flush(flushToDisk: false);
                if (received > handedBack)
                {
                    NativeFileSystem.StartWriteback(staging.SafeFileHandle, start + handedBack, received - handedBack);
                }
            }

            return new ChunkWritten(received, Whole: true);
        }
        finally
        {
            // No block goes back to the pool while it is still being written.
            await sinking.ContinueWith(_ => { }, TaskScheduler.Default);
            ArrayPool<byte>.Shared.Return(blocks[0]);
            ArrayPool<byte>.Shared.Return(blocks[1]);
        }
    }

    /// <summary>Writes one block at the file's position and adds it to the hashes; false when the disk is full.</summary>
    private static bool Sink(FileStream staging, byte[] block, int count, IncrementalHash? chunk, IncrementalHash? running)
    {
        try
        {
            staging.Write(block, 0, count);
        }
        // On Unix an IOException from a write carries the errno as its HResult.
        catch (IOException ex) when (ex.HResult == ENoSpc)
        {
            return false;
        }

        chunk?.AppendData(block, 0, count);
        running?.AppendData(block, 0, count);
        return true;
    }

    private static void Settle(FileStream staging, long length)
    {
        staging.SetLength(length);
        staging.Flush(flushToDisk: true);
    }

    private static UploadState State(Upload upload) => new(upload.Id, upload.Status == UploadStatus.Completed ? upload.Length : upload.Offset,
        upload.Length, upload.ExpiresAt, upload.EntryId);

    private static bool TryParseHex(string hex, out byte[]? bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }
}
