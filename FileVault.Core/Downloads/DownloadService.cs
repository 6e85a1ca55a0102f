using System.Globalization;
using System.IO.Compression;
using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Downloads;

/// <summary>
/// Downloads (DESIGN "Download: access check → one file by Range (or X-Accel-Redirect behind nginx); several as a ZIP
/// streamed while it is built"). Every request asks the access evaluator's Read rule for the acting user (R-DL-6; one file:
/// as SQL in the query that loads it, <see cref="ReadableEntries.WhereReadable"/>): what they cannot read answers
/// <c>entry.not_found</c> and names nothing (R-AUTH-1). The root's mount must be healthy, so an empty mount
/// point is never served as an empty folder. Paths go through the one path guard (<see cref="PathGuard.ResolveEntry"/>)
/// and files are opened without following a link anywhere on the way (<see cref="NoFollowFile"/>, R-LINK-1/2).
/// </summary>
/// <remarks>
/// Reading takes no lock and touches no Redis, so downloads keep working while Redis is down (R-DEG-1).
/// Codes: <c>entry.not_found</c>, <c>entry.not_a_file</c>, <c>path.invalid_name</c>, <c>path.*</c> (the disk refused
/// the path), <c>root.unhealthy</c>, <c>download.empty</c>, <c>download.too_many</c>, <c>download.root</c>,
/// <c>download.changed</c> (a ZIP cut off).
/// </remarks>
public sealed class DownloadService(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    RecentRootHealth rootHealth,
    IOptions<DownloadOptions> options,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<DownloadService> logger)
{
    private const string AuditAction = "entry.download";

    /// <summary>
    /// Opens a file for download. It must be active in the catalog, a regular file on disk, and readable by
    /// <paramref name="actor"/>. With <paramref name="record"/> (a download starting at its first byte, not a resumed or
    /// partial one), an audit row and a log line say who took it.
    /// </summary>
    public async Task<Result<DownloadFile>> OpenFileAsync(AccessSubject actor, long entryId, bool record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One round trip: the entry, its root and the read decision (the access evaluator's Read rule as SQL), so a
        // thumbnail or a download asks PostgreSQL once and a revoked grant counts from the next request on, on every
        // instance, with nothing cached to go stale.
        var found = await db.Entries.AsNoTracking()
            .Where(e => e.Id == entryId && e.State == EntryState.Active)
            .WhereReadable(db, actor)
            .Join(db.StorageRoots.AsNoTracking(), e => e.RootId, r => r.Id, (e, r) => new { Entry = e, Root = r })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return NotFound("No such file.");
        }

        var (entry, root) = (found.Entry, found.Root);
        if (entry.Kind != EntryKind.File)
        {
            return NotAFile(entry.Name);
        }

        if (!entry.NameIsValid)
        {
            return InvalidName(entry.Name);
        }

        if (await CheckHealthAsync(root, cancellationToken) is { } unhealthy)
        {
            return unhealthy;
        }

        var located = Locate(root, entry.RelativePath);
        if (!located.IsSuccess)
        {
            return located.Error!;
        }

        var path = located.Value;
        var handle = NoFollowFile.TryOpen(path, out var error);
        if (handle is null)
        {
            return error switch
            {
                NoFollowFile.ENoEnt or UnixRealPath.ENOTDIR => NotFound($"\"{entry.Name}\" is no longer on the disk; the next scan removes it."),
                NoFollowFile.Moved => NotFound($"\"{entry.Name}\" was moved while it was being opened."),
                // O_NOFOLLOW: a link now stands where the scanner saw a file.
                NoFollowFile.ELoop => NotAFile(entry.Name),
                UnixRealPath.EACCES => new Error("path.access_denied", $"FileVault may not read \"{entry.Name}\" on the file server."),
                _ => throw new IOException($"Cannot open {path}: {NativeFileSystem.ErrnoName(error)}"),
            };
        }

        try
        {
            if (NativeDirectory.Stat(handle) is not ({ Kind: EntryKind.File } stat, var modifiedNanos))
            {
                handle.Dispose();
                return NotAFile(entry.Name);
            }

            var entityTag = string.Create(CultureInfo.InvariantCulture, $"\"{stat.Device:x}-{stat.Inode:x}-{stat.Size:x}-{modifiedNanos:x}\"");
            var file = new DownloadFile(handle, entry.Name, entry.MimeType, stat.Size, new DateTimeOffset(stat.ModifiedTicks, TimeSpan.Zero), entityTag,
                AccelRedirectPath(path));
            if (record)
            {
                AuditTrail.Add(db, time, actor.UserId, AuditAction, $"{root.Name}/{entry.RelativePath}", new { size = stat.Size });
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("User {User} downloads {Root}/{Path} ({Bytes} bytes)", actor.UserId, root.Name, entry.RelativePath, stat.Size);
            }

            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks a ZIP download of <paramref name="entryIds"/> (files and folders, from any folders and roots the actor may
    /// read) before a byte is sent: every item exists and is readable (else <c>entry.not_found</c> for the whole request,
    /// no partial archive), its root is healthy and its folder inside the root. An item inside another selected folder
    /// is left to that folder. The archive is <paramref name="archiveName"/> (".zip" added), else the one item's name, else
    /// <c>FileVault-&lt;yyyyMMdd-HHmmss&gt;.zip</c>.
    /// </summary>
    public async Task<Result<ZipDownload>> PrepareZipAsync(
        AccessSubject actor, IReadOnlyList<long> entryIds, string? archiveName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(entryIds);
        var ids = entryIds.Distinct().ToArray();
        if (ids.Length == 0)
        {
            return new Error("download.empty", "Select at least one file or folder to download.");
        }

        var max = options.Value.MaxZipItems;
        if (ids.Length > max)
        {
            return new Error("download.too_many", $"At most {max} items can be downloaded together, not {ids.Length}; select their folder instead.",
                [max.ToString(CultureInfo.InvariantCulture)]);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Readability in SQL, one query for the whole selection: the evaluator's rule, not one round trip per item.
        var entries = await db.Entries.AsNoTracking()
            .Where(e => ids.Contains(e.Id) && e.State == EntryState.Active)
            .WhereReadable(db, actor)
            .ToListAsync(cancellationToken);
        if (entries.Count != ids.Length)
        {
            return NotFound("Some of the items no longer exist.");
        }

        if (entries.Any(e => e.RelativePath.Length == 0))
        {
            return new Error("download.root", "A storage root cannot be downloaded whole; open it and select what it holds.");
        }

        if (entries.FirstOrDefault(e => !e.NameIsValid) is { } invalid)
        {
            return InvalidName(invalid.Name);
        }

        var folders = entries.Where(e => e.Kind == EntryKind.Directory).Select(e => (e.RootId, Prefix: e.RelativePath + "/")).ToList();
        var tops = entries
            .Where(e => !folders.Any(f => f.RootId == e.RootId && e.RelativePath.StartsWith(f.Prefix, StringComparison.Ordinal)))
            .OrderBy(e => Array.IndexOf(ids, e.Id))
            .ToList();
        var rootIds = tops.Select(e => e.RootId).Distinct().ToList();
        var roots = await db.StorageRoots.AsNoTracking().Where(r => rootIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, cancellationToken);
        foreach (var root in roots.Values)
        {
            if (await CheckHealthAsync(root, cancellationToken) is { } unhealthy)
            {
                return unhealthy;
            }
        }

        var items = new List<ZipItem>(tops.Count);
        foreach (var entry in tops)
        {
            var root = roots[entry.RootId];
            var located = Locate(root, entry.RelativePath);
            if (!located.IsSuccess)
            {
                return located.Error!;
            }

            var folder = located.Value[..located.Value.LastIndexOf('/')];
            items.Add(new ZipItem(root.Id, root.Name, folder, new CompressSource(entry.Id, entry.RelativePath, entry.Name)));
        }

        var name = ZipName(archiveName, tops);
        return name.IsSuccess ? new ZipDownload(actor, name.Value, items) : name.Error!;
    }

    /// <summary>
    /// Streams the archive into <paramref name="output"/> while it is built: one block in memory, nothing on disk
    /// (<see cref="CompressArchiveWriter"/>: R-DL-3 names, UTF-8 flag, ZIP64, no links followed, denied subfolders left
    /// out). Returns null when the whole archive was written. When a file changes, vanishes or cannot be read on the way
    /// (R-DL-4) it returns <c>download.changed</c> and leaves the archive without its central directory: the caller must
    /// then abort the response, so the client sees a broken download, never a valid-looking archive with wrong bytes.
    /// </summary>
    public async Task<Error?> WriteZipAsync(ZipDownload download, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(download);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            AuditTrail.Add(db, time, download.Actor.UserId, AuditAction, download.FileName, new
            {
                items = download.Items.Select(i => $"{i.RootName}/{i.Source.Path}").Take(CompressArchiveWriter.MaxListed),
                count = download.ItemCount,
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        await using var sink = new CutOffStream(output);
        var zip = new ZipArchive(sink, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8);
        var whole = false;
        try
        {
            // The writer asks about folders by their path in a root; items may come from several roots.
            var rootId = 0;
            var writer = new CompressArchiveWriter(zip, path => access.CanReadAsync(download.Actor, rootId, path, cancellationToken), null, cancellationToken);
            foreach (var item in download.Items)
            {
                rootId = item.RootId;
                await writer.AddAsync(item.Folder, [item.Source]);
            }

            whole = true;
            logger.LogInformation("User {User} downloads {Archive}: {Files} files in {Folders} folders, {Bytes} bytes read",
                download.Actor.UserId, download.FileName, writer.Files, writer.Folders, writer.BytesRead);
            return null;
        }
        catch (CompressAbortedException ex)
        {
            logger.LogWarning("The ZIP download {Archive} of user {User} was cut off: {Reason}", download.FileName, download.Actor.UserId, ex.Message);
            return new Error("download.changed", ex.Message);
        }
        finally
        {
            // Cut off (a file changed, the client left, anything unexpected): disposing writes nothing more.
            if (!whole)
            {
                sink.CutOff();
            }

            await zip.DisposeAsync();
            await sink.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Null when the root's mount is what FileVault registered; else <c>root.unhealthy</c>, so an empty mount point is never served as empty folders.</summary>
    private async Task<Error?> CheckHealthAsync(StorageRoot root, CancellationToken cancellationToken)
    {
        var health = await rootHealth.CheckAsync(root, scanner.Value.HealthCheckTimeout, cancellationToken);
        return health.IsHealthy
            ? null
            : new Error("root.unhealthy", "The storage is not available right now; nothing can be downloaded from it. " + health.Problem!.Message);
    }

    /// <summary>The entry's catalog path mapped into its root by the path guard: its folder real and inside the root, its name not followed.</summary>
    private static Result<string> Locate(StorageRoot root, string relativePath)
    {
        var located = PathGuard.ResolveEntry(root.Path, relativePath);
        return located.Error?.Code switch
        {
            "path.not_found" => NotFound("An item is no longer on the disk; the next scan removes it."),
            "root.unavailable" => new Error("root.unhealthy", located.Error.Message),
            _ => located,
        };
    }

    private string? AccelRedirectPath(string path)
    {
        if (options.Value.AccelRedirectRoot is not { Length: > 0 } configured
            || !UnixRealPath.TryResolve(configured, out var served, out _)
            || !PathGuard.IsInside(served, path))
        {
            return null;
        }

        return path[(served.TrimEnd('/').Length + 1)..];
    }

    private Result<string> ZipName(string? requested, IReadOnlyList<Entry> items)
    {
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return CompressOperations.RequestedArchiveName(requested);
        }

        if (items is [var only] && CompressOperations.RequestedArchiveName(only.Name) is { IsSuccess: true } named)
        {
            return named;
        }

        return string.Create(CultureInfo.InvariantCulture, $"FileVault-{time.GetLocalNow():yyyyMMdd-HHmmss}.zip");
    }

    private static Error NotFound(string message) => new("entry.not_found", message);

    private static Error NotAFile(string name) =>
        new("entry.not_a_file", $"\"{name}\" is not a file (a folder, a link or a special file); download a folder as a ZIP.");

    private static Error InvalidName(string name) =>
        new("path.invalid_name", $"\"{name}\" has a name that is not valid UTF-8; rename it on the server first.");
}
