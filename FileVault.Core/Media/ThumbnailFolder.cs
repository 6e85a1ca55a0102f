using System.Globalization;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Media;

/// <summary>
/// The optional thumbnail folder (<see cref="MediaOptions.ThumbnailDirectory"/>): every thumbnail made is also written
/// here, and a Redis miss is looked up here before anything is decoded, so a Redis flush or restart does not make every
/// photo again. One folder per entry holds the latest version of each size; writing a new version deletes the older
/// one. The folder must lie outside every storage root (checked on first use against the registered roots; inside one,
/// it is not used and the reason is logged): thumbnails there would be catalogued, listed and served as files.
/// Only <see cref="ThumbnailStore"/> reads it, after the request's access check. <see cref="SweepAsync"/> removes what
/// the catalog no longer needs, a bounded number of entries per run (scheduled and recorded by <see cref="ThumbnailFolderSweep"/>).
/// </summary>
public sealed class ThumbnailFolder(IDbContextFactory<FileVaultDbContext> contexts, IOptions<MediaOptions> options, TimeProvider time,
    ILogger<ThumbnailFolder> logger)
    : IDisposable
{
    private const int Buckets = 1000;

    /// <summary>A temporary file this old belongs to a write that died (a crash between write and rename).</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode ThumbnailFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly SemaphoreSlim _checking = new(1, 1);
    private bool? _usable;

    /// <summary>Whether a folder is configured (it may still turn out unusable on first use).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.ThumbnailDirectory) && _usable != false;

    public async Task<byte[]?> ReadAsync(ThumbnailKey key, CancellationToken cancellationToken)
    {
        if (!await UsableAsync(cancellationToken))
        {
            return null;
        }

        try
        {
            return await File.ReadAllBytesAsync(PathOf(key), cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Thumbnail folder: cannot read {Key}: {Reason}", key.Name, ex.Message);
            return null;
        }
    }

    /// <summary>Writes the thumbnail under a temporary name and renames it into place; older versions of the same size go.</summary>
    public async Task WriteAsync(ThumbnailKey key, byte[] thumbnail, CancellationToken cancellationToken)
    {
        if (!await UsableAsync(cancellationToken))
        {
            return;
        }

        var path = PathOf(key);
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            CreateFolder(folder);
            var temporary = Path.Combine(folder, ".tmp-" + Guid.NewGuid().ToString("N"));
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = ThumbnailFileMode;
            }

            await using (var stream = new FileStream(temporary, create))
            {
                await stream.WriteAsync(thumbnail, cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
            var suffix = Suffix(key);
            foreach (var older in Directory.EnumerateFiles(folder, "*" + suffix))
            {
                if (!string.Equals(older, path, StringComparison.Ordinal))
                {
                    File.Delete(older);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Thumbnail folder: cannot write {Key}: {Reason}", key.Name, ex.Message);
        }
    }

    /// <summary>
    /// Deletes the thumbnails nobody can be served any more: the whole folder of an entry the catalog no longer holds
    /// at all (an orphan: purged from the trash, or gone with a removed root), and in the other entry folders the
    /// thumbnails of entries missing from the disk at the last scan or no longer files, and of versions (length and
    /// modification time) other than the catalog's; plus temporary files of writes that died, and the entry folders
    /// left empty. Trashed entries keep their current version: the trash shows it. Looks at about
    /// <paramref name="maxEntries"/> entry folders, starting at bucket <paramref name="fromBucket"/> (the last run's
    /// <see cref="ThumbnailSweepResult.NextBucket"/>), so a large folder is covered over several runs without one run
    /// taking long.
    /// </summary>
    /// <remarks>
    /// A file changed on the disk but not scanned yet has its new thumbnail taken for a stale one; it is made again when
    /// next asked for. Nothing here is read by anyone: deleting is always safe.
    /// </remarks>
    public async Task<ThumbnailSweepResult> SweepAsync(int fromBucket, int maxEntries, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        var next = fromBucket is >= 0 and < Buckets ? fromBucket : 0;
        if (!await UsableAsync(cancellationToken))
        {
            return new ThumbnailSweepResult(0, 0, 0, next);
        }

        var (looked, deleted, kept) = (0, 0, 0);
        for (var visited = 0; visited < Buckets && looked < maxEntries; visited++)
        {
            var bucket = Path.Combine(options.Value.ThumbnailDirectory!, next.ToString("D3", CultureInfo.InvariantCulture));
            next = (next + 1) % Buckets;
            if (!Directory.Exists(bucket))
            {
                continue;
            }

            foreach (var chunk in Directory.EnumerateDirectories(bucket).Chunk(500))
            {
                var folders = chunk
                    .Select(path => (Path: path, Id: long.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1))
                    .Where(f => f.Id >= 0)
                    .ToList();
                var ids = folders.Select(f => f.Id).ToList();
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var catalogued = await db.Entries.AsNoTracking()
                    .Where(e => ids.Contains(e.Id))
                    .Select(e => new { e.Id, Served = e.Kind == EntryKind.File && (e.State == EntryState.Active || e.State == EntryState.Trashed), e.Size, e.ModifiedAt })
                    .ToDictionaryAsync(e => e.Id, e => e.Served ? (e.Size, e.ModifiedAt.UtcTicks / 10) : ((long Size, long Micros)?)null, cancellationToken);
                foreach (var (path, id) in folders)
                {
                    var (gone, stays) = catalogued.TryGetValue(id, out var version) ? SweepEntryFolder(path, version) : RemoveOrphan(path);
                    deleted += gone;
                    kept += stays;
                }

                looked += folders.Count;
            }
        }

        if (deleted > 0)
        {
            logger.LogInformation("Thumbnail folder: deleted {Count} thumbnails no longer needed ({Entries} entries looked at)", deleted, looked);
        }

        return new ThumbnailSweepResult(looked, deleted, kept, next);
    }

    /// <summary>The folder of an entry the catalog no longer holds goes whole, whatever it holds; returns the files deleted.</summary>
    private (int Deleted, int Kept) RemoveOrphan(string folder)
    {
        try
        {
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count();
            Directory.Delete(folder, recursive: true);
            return (files, 0);
        }
        catch (DirectoryNotFoundException)
        {
            // Another sweep got there first.
            return (0, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Thumbnail folder: cannot remove {Folder}: {Reason}", folder, ex.Message);
            return (0, 0);
        }
    }

    private (int Deleted, int Kept) SweepEntryFolder(string folder, (long Size, long Micros)? version)
    {
        var (deleted, kept) = (0, 0);
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                var name = Path.GetFileName(file);
                var stale = name.StartsWith(".tmp-", StringComparison.Ordinal)
                    ? time.GetUtcNow() - File.GetLastWriteTimeUtc(file) > AbandonedAfter
                    : ParseVersion(name) is { } made && made != version;
                if (stale)
                {
                    File.Delete(file);
                    deleted++;
                }
                else
                {
                    kept++;
                }
            }

            if (!Directory.EnumerateFileSystemEntries(folder).Any())
            {
                // A write may create a file here at this instant: then the folder is not empty and stays.
                Directory.Delete(folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Thumbnail folder: cannot sweep {Folder}: {Reason}", folder, ex.Message);
        }

        return (deleted, kept);
    }

    /// <summary>The (length, modification time in microseconds) a thumbnail file's name gives, or null for a name not made by <see cref="PathOf"/>.</summary>
    private static (long Size, long Micros)? ParseVersion(string name)
    {
        var parts = name.Split('-');
        return parts.Length == 4
            && long.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length)
            && long.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ticks)
            ? (length, ticks / 10)
            : null;
    }

    /// <summary><c>&lt;folder&gt;/&lt;entry id mod 1000&gt;/&lt;entry id&gt;/&lt;length&gt;-&lt;mtime&gt;-&lt;size&gt;-&lt;format&gt;</c>.</summary>
    private string PathOf(ThumbnailKey key) => Path.Combine(options.Value.ThumbnailDirectory!,
        (key.EntryId % 1000).ToString("D3", CultureInfo.InvariantCulture), key.EntryId.ToString(CultureInfo.InvariantCulture),
        string.Create(CultureInfo.InvariantCulture, $"{key.Length:x}-{key.ModifiedTicks:x}") + Suffix(key));

    private static string Suffix(ThumbnailKey key) => $"-{key.Size}-{key.Format}".ToLowerInvariant();

    private async Task<bool> UsableAsync(CancellationToken cancellationToken)
    {
        if (_usable is { } known)
        {
            return known;
        }

        if (string.IsNullOrWhiteSpace(options.Value.ThumbnailDirectory))
        {
            return false;
        }

        await _checking.WaitAsync(cancellationToken);
        try
        {
            if (_usable is { } decided)
            {
                return decided;
            }

            var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.ThumbnailDirectory));
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var roots = await db.StorageRoots.AsNoTracking().Select(r => r.Path).ToListAsync(cancellationToken);
            // Whole components: /srv/share-thumbs is outside /srv/share.
            var inside = roots.FirstOrDefault(root => folder == root || folder.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)
                || root.StartsWith(folder + "/", StringComparison.Ordinal));
            if (inside is not null)
            {
                logger.LogError("The thumbnail folder {Folder} overlaps the storage root {Root}; it is not used (set FileVault:Media:ThumbnailDirectory outside every root)",
                    folder, inside);
                _usable = false;
                return false;
            }

            CreateFolder(folder);
            _usable = true;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError("The thumbnail folder {Folder} cannot be used: {Reason}", options.Value.ThumbnailDirectory, ex.Message);
            _usable = false;
            return false;
        }
        finally
        {
            _checking.Release();
        }
    }

    public void Dispose() => _checking.Dispose();

    /// <summary>Owner-only (0700): thumbnails show what photos hold, and only FileVault serves them.</summary>
    private static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, FolderMode);
        }
    }
}

/// <summary>What one sweep of the thumbnail folder did: entry folders looked at, thumbnail files deleted and kept, and the bucket the next run starts at.</summary>
public sealed record ThumbnailSweepResult(int EntriesLookedAt, int FilesDeleted, int FilesKept, int NextBucket);
