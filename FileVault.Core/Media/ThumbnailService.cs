using FileVault.Core.Access;
using FileVault.Core.Downloads;
using Microsoft.Extensions.Options;
using FileVault.Core.Browsing;

namespace FileVault.Core.Media;

/// <summary>What the background queue did with one entry.</summary>
public enum PrepareOutcome
{
    /// <summary>Its thumbnails are cached and its EXIF is in the catalog.</summary>
    Ready,
    /// <summary>It cannot be made (unreadable, too large); the reason was logged once.</summary>
    Failed,
    /// <summary>Gone, no longer a file, not an image, or nowhere to keep a thumbnail (Redis down): nothing to do now.</summary>
    Skipped,
}

/// <summary>A thumbnail to send: its entity tag and type, and its bytes (null when the caller already has them: 304).</summary>
public sealed record Thumbnail(string EntityTag, string ContentType, byte[]? Content);

/// <summary>
/// Thumbnails for an acting user. The file is opened the way a download opens it (<see cref="DownloadService.OpenFileAsync"/>):
/// the same access evaluator (what the user cannot read is <c>entry.not_found</c>, naming nothing), the same path guard,
/// no link followed, the mount checked first. Only then is the cache asked or the image decoded.
/// </summary>
/// <remarks>Codes: those of a download, and <c>media.unsupported</c>, <c>media.too_large</c>, <c>media.unreadable</c>.</remarks>
public sealed class ThumbnailService(
    DownloadService downloads, ThumbnailStore store, ThumbnailGenerator generator, ExifCatalog exif, ThumbnailQueue queue, CatalogBrowser browser,
    IOptions<MediaOptions> options)
{
    /// <summary>
    /// The grid shows this folder: its images not read yet go to the queue of open folders, ahead of any scan's backlog.
    /// Nothing happens for a folder the user may not read (and nothing is said about it).
    /// </summary>
    public async Task PrioritizeFolderAsync(AccessSubject actor, long folderId, CancellationToken cancellationToken)
    {
        if (await browser.FolderStampAsync(actor, folderId, cancellationToken) is { } stamp)
        {
            await queue.QueueVisibleAsync(folderId, stamp, cancellationToken);
        }
    }

    /// <summary>
    /// The thumbnail of entry <paramref name="entryId"/> at <paramref name="size"/>. When <paramref name="ifNoneMatch"/>
    /// (the request's If-None-Match) names the current version's tag, the answer has no content and nothing is read.
    /// </summary>
    public async Task<Result<Thumbnail>> GetAsync(AccessSubject actor, long entryId, ThumbnailSize size, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var opened = await downloads.OpenFileAsync(actor, entryId, record: false, cancellationToken);
        if (!opened.IsSuccess)
        {
            return opened.Error!.Code is "entry.not_a_file" or "path.invalid_name" ? Unsupported() : opened.Error;
        }

        var file = opened.Value;
        if (!ThumbnailGenerator.IsImageName(file.Name))
        {
            file.Dispose();
            return Unsupported();
        }

        var key = new ThumbnailKey(entryId, file.Length, file.LastModified.UtcTicks, size, options.Value.Format);
        if (Matches(ifNoneMatch, key.EntityTag))
        {
            file.Dispose();
            return new Thumbnail(key.EntityTag, generator.ContentType, null);
        }

        var made = await store.GetOrMakeAsync(key, file, cancellationToken);
        return made.IsSuccess ? new Thumbnail(key.EntityTag, generator.ContentType, made.Value) : made.Error!;
    }

    /// <summary>
    /// The background queue's work for one entry: the thumbnails of <paramref name="sizes"/> that are not cached yet, and
    /// its EXIF, read as FileVault itself (<see cref="AccessSubject.System"/>) through the same path guard and no-follow
    /// open as a download. Nothing made here reaches a user except through <see cref="GetAsync"/> and its access check.
    /// </summary>
    public async Task<PrepareOutcome> PrepareAsync(long entryId, IReadOnlyList<ThumbnailSize> sizes, CancellationToken cancellationToken)
    {
        foreach (var size in store.CanKeep ? sizes : [])
        {
            var opened = await OpenImageAsync(entryId, cancellationToken);
            if (opened is not { } file)
            {
                return PrepareOutcome.Skipped;
            }

            var key = new ThumbnailKey(entryId, file.Length, file.LastModified.UtcTicks, size, options.Value.Format);
            if (!(await store.GetOrMakeAsync(key, file, cancellationToken, background: true)).IsSuccess)
            {
                return PrepareOutcome.Failed;
            }
        }

        // The EXIF row of this version: read now unless a thumbnail made above already stored it.
        using (var file = await OpenImageAsync(entryId, cancellationToken))
        {
            if (file is null)
            {
                return PrepareOutcome.Skipped;
            }

            await using var content = new BufferedStream(file.OpenContent(), 64 * 1024);
            await exif.GetOrReadAsync(entryId, file.Length, file.LastModified.UtcTicks, content, cancellationToken);
        }

        return store.CanKeep || sizes.Count == 0 ? PrepareOutcome.Ready : PrepareOutcome.Skipped;
    }

    private async Task<DownloadFile?> OpenImageAsync(long entryId, CancellationToken cancellationToken)
    {
        var opened = await downloads.OpenFileAsync(AccessSubject.System, entryId, record: false, cancellationToken);
        if (!opened.IsSuccess)
        {
            return null;
        }

        if (ThumbnailGenerator.IsImageName(opened.Value.Name))
        {
            return opened.Value;
        }

        opened.Value.Dispose();
        return null;
    }

    /// <summary>
    /// The thumbnail of a file in the trash, as it was cached while the file was live (the queue made it, or someone
    /// viewed it): the caller found <paramref name="file"/> through the trash's own access rules
    /// (<c>TrashQueries.FindFileAsync</c>). Nothing is decoded from the trash: a thumbnail not cached is
    /// <c>media.not_found</c>, and the trash shows the type icon.
    /// </summary>
    public async Task<Result<Thumbnail>> GetCachedAsync(long entryId, long length, DateTimeOffset modifiedAt, string name, ThumbnailSize size,
        string? ifNoneMatch, CancellationToken cancellationToken)
    {
        if (!ThumbnailGenerator.IsImageName(name))
        {
            return Unsupported();
        }

        var key = new ThumbnailKey(entryId, length, modifiedAt.UtcTicks, size, options.Value.Format);
        if (Matches(ifNoneMatch, key.EntityTag))
        {
            return new Thumbnail(key.EntityTag, generator.ContentType, null);
        }

        return await store.GetCachedAsync(key, cancellationToken) is { } cached
            ? new Thumbnail(key.EntityTag, generator.ContentType, cached)
            : new Error("media.not_found", "No thumbnail of this item was kept.");
    }

    private static bool Matches(string? ifNoneMatch, string entityTag) =>
        !string.IsNullOrEmpty(ifNoneMatch)
        && ifNoneMatch.Split(',', StringSplitOptions.TrimEntries).Any(tag => tag == "*" || tag == entityTag || tag == "W/" + entityTag);

    internal static Error Unsupported() => new("media.unsupported", "FileVault makes thumbnails of JPEG, PNG, GIF, WebP and BMP images only.");
}
