using System.IO.Compression;
using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Operations;

/// <summary>What a finished compress job did, for its owner.</summary>
/// <param name="Archive">The archive's path in its root; null when its name was taken and the user chose skip.</param>
/// <param name="NotIncluded">Links, special files and names that are not UTF-8 left out, relative to the folder (the first 100).</param>
/// <param name="Skipped">The archive's name, when it was skipped.</param>
public sealed record CompressSummary(
    string? Archive, int Files, int Folders, long Bytes, long ArchiveBytes, int LinksSkipped, int OthersSkipped, IReadOnlyList<string> NotIncluded,
    IReadOnlyList<string> Skipped);

/// <summary>
/// The archive written under its temporary name and flushed (identified by device and inode, so a resumed run knows its
/// own file under either name); then, in the same transaction as the catalog row, the archive's entry id.
/// </summary>
internal sealed class CompressCheckpoint
{
    public ulong Device { get; set; }

    public ulong Inode { get; set; }

    public long Size { get; set; }

    public byte[] Hash { get; set; } = [];

    public CompressSummary Summary { get; set; } = default!;

    public long? EntryId { get; set; }
}

/// <summary>
/// Writes a compress job's ZIP crash-safely (DESIGN invariant 4, R-OP-2): under a temporary name in the destination
/// folder (<c>.filevault-part-{job}-…</c>, which the scanner ignores), flushed with fsync, recorded in the checkpoint,
/// renamed to its final name without replacing anything, the folder flushed, then the catalog row and the audit row in
/// one transaction. A killed run starts again: a finished archive under either name is recognised by its inode, anything
/// else of this job's is deleted and written anew, so nothing partial ever carries the final name (R-OP-3). Cancelling,
/// losing the lock, or a source changing while it is read (R-DL-4) deletes the temporary file.
/// </summary>
internal sealed class CompressJobHandler(IDbContextFactory<FileVaultDbContext> contexts, WriteAccess access, TrashMover trash, TimeProvider time)
    : IJobHandler
{
    public string Type => "compress";

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var payload = run.Payload<CompressPayload>();
        if (payload.ArchiveName is not { } archiveName)
        {
            return JobOutcome.Succeeded(new CompressSummary(null, 0, 0, 0, 0, 0, 0, [], payload.Skipped));
        }

        var checkpoint = run.Checkpoint<CompressCheckpoint>();
        if (checkpoint?.EntryId is { } done)
        {
            return JobOutcome.Succeeded(checkpoint.Summary, done);
        }

        StorageRoot root;
        await using (var db = await contexts.CreateDbContextAsync(run.Stopping))
        {
            root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == payload.RootId, run.Stopping);
        }

        if (!(await MountHealth.CheckAsync(root, MountHealth.DefaultTimeout, run.Stopping)).IsHealthy)
        {
            return JobOutcome.Failed("The storage is not available; nothing was written. Retry when it is back.");
        }

        AccessSubject? owner = null;
        var denied = await run.AuthorizeAsync(async subject =>
        {
            owner = subject;
            return await CheckAccessAsync(subject, root, payload, run.Stopping);
        });
        if (denied is not null)
        {
            return JobOutcome.Failed(denied.Message + " Nothing was written.");
        }

        // The archive and the sources are addressed from the folder's real path, which no link on the way may lead elsewhere.
        var archivePath = PathGuard.ResolveForWrite(root.Path, CatalogChanges.Join(payload.Folder, archiveName));
        if (!archivePath.IsSuccess)
        {
            return JobOutcome.Failed($"The folder \"{payload.Folder}\" cannot be written: {archivePath.Error!.Message} Nothing was written.");
        }

        var final = archivePath.Value;
        var folder = Path.GetDirectoryName(final)!;
        var temporary = FileTreeCopier.TemporaryPath(run.Job.Id, final);
        if (checkpoint is null || !(IsArchive(final, checkpoint) || IsArchive(temporary, checkpoint)))
        {
            try
            {
                var mayRead = (string path) => access.CanReadAsync(owner!, root.Id, path, run.Stopping);
                checkpoint = await WriteAsync(run, payload, folder, temporary, CatalogChanges.Join(payload.Folder, archiveName), mayRead);
            }
            catch (Exception ex)
            {
                // The temporary file came and went (WriteAsync deleted it): the folder's mtime moved with it.
                await TouchFolderAsync(root, payload.Folder);
                if (ex is CompressAbortedException)
                {
                    return JobOutcome.Failed(ex.Message);
                }

                throw;
            }
        }

        // From here on the archive is whole: a cancel no longer stops the job, so the catalog follows the disk.
        if (!IsArchive(final, checkpoint))
        {
            var published = await PublishAsync(run, root, payload, temporary, final);
            if (published is not null)
            {
                await TouchFolderAsync(root, payload.Folder);
                return JobOutcome.Failed(published);
            }
        }

        var entryId = await CommitAsync(run, root, payload, archiveName, final, checkpoint);
        return JobOutcome.Succeeded(checkpoint.Summary, entryId);
    }

    /// <summary>What the archive needs of its owner now: Write on the folder, Read on every source, and what replacing needs.</summary>
    private async Task<Error?> CheckAccessAsync(AccessSubject owner, StorageRoot root, CompressPayload payload, CancellationToken cancellationToken)
    {
        if (await access.ToAddIntoAsync(owner, root.Id, payload.Folder, cancellationToken) is { } denied)
        {
            return denied;
        }

        foreach (var source in payload.Sources)
        {
            if (await access.ToReadAsync(owner, root.Id, source.Path, cancellationToken) is { } unreadable)
            {
                return unreadable;
            }
        }

        return payload.ReplaceEntryId is not null
            ? await access.ToReplaceAsync(owner, root.Id, payload.ReplacePath!, payload.ArchiveName!, cancellationToken)
            : null;
    }

    /// <summary>Writes the whole archive under <paramref name="temporary"/>, flushes it, and records it in the checkpoint.</summary>
    private static async Task<CompressCheckpoint> WriteAsync(
        JobRun run, CompressPayload payload, string folder, string temporary, string archivePath, Func<string, Task<bool>> mayRead)
    {
        await run.GuardAsync();
        // A killed earlier attempt's leftover: never trusted, written again.
        File.Delete(temporary);
        try
        {
            CompressArchiveWriter writer;
            byte[] hash;
            long size;
            // CreateNew is O_CREAT|O_EXCL: never writes through a link planted at the name (R-LINK-3).
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await using (var hashing = new HashingWriteStream(file))
                {
                    await using (var zip = new ZipArchive(hashing, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8))
                    {
                        writer = new CompressArchiveWriter(zip, mayRead, (bytes, file) => run.ReportAsync(bytes, payload.TotalBytes, file), run.Stopping);
                        await writer.AddAsync(folder, payload.Sources);
                    }

                    hash = hashing.Hash();
                    size = hashing.Position;
                }

                await file.FlushAsync(run.Stopping);
                file.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, NativeFileSystem.NewFileMode);
            }

            var stat = NativeDirectory.Stat(Encoding.UTF8.GetBytes(temporary + "\0"))
                ?? throw new IOException($"The archive written at {temporary} cannot be found.");
            var checkpoint = new CompressCheckpoint
            {
                Device = stat.Device,
                Inode = stat.Inode,
                Size = size,
                Hash = hash,
                Summary = new CompressSummary(archivePath, writer.Files, writer.Folders, writer.BytesRead, size, writer.LinksSkipped, writer.OthersSkipped,
                    writer.NotIncluded, []),
            };
            await run.SaveCheckpointAsync(checkpoint, CancellationToken.None);
            return checkpoint;
        }
        catch
        {
            // Cancelled, the lock lost, a source changed, the disk full: no partial archive stays under any name.
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The replaced archive to the trash, then the new one renamed into place (never over anything) and the folder flushed; null or why not.</summary>
    private async Task<string?> PublishAsync(JobRun run, StorageRoot root, CompressPayload payload, string temporary, string final)
    {
        if (payload.ReplaceEntryId is { } replaced)
        {
            // Idempotent per job and entry: a resumed job finds its own trash item.
            var trashed = await trash.TrashAsync(run, root, replaced, payload.ReplacePath!, run.Job.OwnerId, CancellationToken.None);
            if (!trashed.IsSuccess && trashed.Error!.Code != "entry.not_found")
            {
                File.Delete(temporary);
                return trashed.Error.Message;
            }
        }

        await run.GuardAsync();
        var errno = NativeFileSystem.RenameNoReplace(temporary, final);
        if (errno != 0)
        {
            File.Delete(temporary);
            return errno == NativeFileSystem.EExist
                ? $"\"{Path.GetFileName(final)}\" appeared in the folder meanwhile; no archive was made. Try again."
                : $"The archive could not be put in place ({NativeFileSystem.ErrnoName(errno)}); no archive was made.";
        }

        NativeFileSystem.SyncDirectory(Path.GetDirectoryName(final)!);
        return null;
    }

    /// <summary>The archive's catalog row (a row left at that path by an earlier scan is reused), the folder's mtime, the audit row and the checkpoint, in one transaction.</summary>
    private async Task<long> CommitAsync(JobRun run, StorageRoot root, CompressPayload payload, string archiveName, string final, CompressCheckpoint checkpoint)
    {
        var stat = NativeDirectory.Stat(Encoding.UTF8.GetBytes(final + "\0"))
            ?? throw new IOException($"The archive {final} vanished before it was catalogued.");
        var relativePath = CatalogChanges.Join(payload.Folder, archiveName);
        var modified = new DateTimeOffset(stat.ModifiedTicks, TimeSpan.Zero);
        var owner = run.Job.OwnerId;
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var id = await CatalogChanges.PlaceFileAsync(db, new PlacedFile(root.Id, payload.FolderId, archiveName, relativePath, checkpoint.Size, modified,
                checkpoint.Hash, stat.Device, stat.Inode, owner, time.GetUtcNow()), alongside: null, CancellationToken.None);
            await CatalogChanges.TouchFolderAsync(db, root, payload.Folder, CancellationToken.None);
            AuditTrail.Add(db, time, owner, "entry.compress", $"{root.Name}/{relativePath}",
                new { job = run.Job.Id, sources = payload.Sources.Select(s => s.Path).Take(CompressArchiveWriter.MaxListed), count = payload.Sources.Count });
            checkpoint.EntryId = id;
            await run.SaveCheckpointAsync(db, checkpoint, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            return id;
        });
    }

    private async Task TouchFolderAsync(StorageRoot root, string folder)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await CatalogChanges.TouchFolderAsync(db, root, folder, CancellationToken.None);
    }

    /// <summary>Whether <paramref name="path"/> is the archive this job wrote and flushed (same file, same size).</summary>
    private static bool IsArchive(string path, CompressCheckpoint checkpoint) =>
        NativeDirectory.Stat(Encoding.UTF8.GetBytes(path + "\0")) is { Kind: EntryKind.File } stat
        && stat.Device == checkpoint.Device && stat.Inode == checkpoint.Inode && stat.Size == checkpoint.Size;
}
