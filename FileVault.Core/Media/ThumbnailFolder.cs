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
/// the catalog no longer needs, a bounded number of entries per run.
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
    private int _nextBucket;

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
    /// Deletes the thumbnails nobody can be served any more — of entries gone from the catalog, missing from the disk at
    /// the last scan, or no longer files, and of versions (length and modification time) other than the catalog's —
    /// plus temporary files of writes that died, and the entry folders left empty. Trashed entries keep their current
    /// version: the trash shows it. Looks at about <paramref name="maxEntries"/> entry folders, continuing where the
    /// last run stopped, so a large folder is covered over several runs without one run taking long.
    /// </summary>
    /// <remarks>
    /// A file changed on the disk but not scanned yet has its new thumbnail taken for a stale one; it is made again when
    /// next asked for. Nothing here is read by anyone: deleting is always safe.
    /// </remarks>
    public async Task<ThumbnailSweepResult> SweepAsync(int maxEntries, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        if (!await UsableAsync(cancellationToken))
        {
            return new ThumbnailSweepResult(0, 0);
        }

        var (looked, deleted) = (0, 0);
        for (var visited = 0; visited < Buckets && looked < maxEntries; visited++)
        {
            var bucket = Path.Combine(options.Value.ThumbnailDirectory!, _nextBucket.ToString("D3", CultureInfo.InvariantCulture));
            _nextBucket = (_nextBucket + 1) % Buckets;
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
                var current = await db.Entries.AsNoTracking()
                    .Where(e => ids.Contains(e.Id) && e.Kind == EntryKind.File && (e.State == EntryState.Active || e.State == EntryState.Trashed))
                    .Select(e => new { e.Id, e.Size, e.ModifiedAt })
                    .ToDictionaryAsync(e => e.Id, e => (e.Size, Micros: e.ModifiedAt.UtcTicks / 10), cancellationToken);
                foreach (var (path, id) in folders)
                {
                    deleted += SweepEntryFolder(path, current.TryGetValue(id, out var version) ? version : null);
                }

                looked += folders.Count;
            }
        }

        if (deleted > 0)
        {
            logger.LogInformation("Thumbnail folder: deleted {Count} thumbnails no longer needed ({Entries} entries looked at)", deleted, looked);
        }

        return new ThumbnailSweepResult(looked, deleted);
    }

    private int SweepEntryFolder(string folder, (long Size, long Micros)? version)
    {
        var deleted = 0;
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

        return deleted;
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

    /// <summary>
    /// Deletes the folders of entries the catalog no longer holds at all (purged from the trash, or gone from a root that
    /// was removed); a trashed or missing entry keeps its thumbnails, as it keeps its other metadata. Returns how many
    /// entry folders went; 0 when no folder is configured.
    /// </summary>
    public async Task<(long Removed, long Kept)> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        if (!await UsableAsync(cancellationToken))
        {
            return (0, 0);
        }

        long removed = 0, kept = 0;
        var root = options.Value.ThumbnailDirectory!;
        foreach (var shard in Directory.EnumerateDirectories(root))
        {
            var folders = Directory.EnumerateDirectories(shard)
                .Select(path => (Path: path, Id: long.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1))
                .Where(f => f.Id >= 0)
                .ToList();
            foreach (var batch in folders.Chunk(5000))
            {
                var ids = batch.Select(f => f.Id).ToArray();
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var known = (await db.Entries.AsNoTracking().Where(e => ids.Contains(e.Id)).Select(e => e.Id).ToListAsync(cancellationToken)).ToHashSet();
                foreach (var folder in batch)
                {
                    if (known.Contains(folder.Id))
                    {
                        kept++;
                        continue;
                    }

                    try
                    {
                        Directory.Delete(folder.Path, recursive: true);
                        removed++;
                    }
                    catch (DirectoryNotFoundException)
                    {
                        // Another sweep or a rewrite got there first.
                    }
                }
            }
        }

        return (removed, kept);
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

/// <summary>What one sweep of the thumbnail folder did.</summary>
public sealed record ThumbnailSweepResult(int EntriesLookedAt, int FilesDeleted);
