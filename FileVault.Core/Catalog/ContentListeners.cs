using Microsoft.Extensions.Logging;

namespace FileVault.Core.Catalog;

/// <summary>
/// Told when files' content came into the catalog — a scan merged new or changed files, an upload completed — so that
/// work derived from the bytes (thumbnails and EXIF, in Media) is queued ahead of a visit, without the scanner or the
/// uploads knowing who does it.
/// </summary>
public interface IContentListener
{
    /// <summary>Scan <paramref name="scanId"/> merged: its new and changed rows carry its id (<c>entries.changed_by_scan_id</c>).</summary>
    Task ScanMergedAsync(long scanId, CancellationToken cancellationToken);

    /// <summary>These files were just written (an upload completed), with their names, so a listener can pass over files it has no use for without a query.</summary>
    Task FilesAddedAsync(IReadOnlyList<AddedFile> files, CancellationToken cancellationToken);

    /// <summary>Scan <paramref name="scanId"/> of root <paramref name="rootId"/> committed (changes or not): the root's catalog is as its disk was.</summary>
    Task ScanCompletedAsync(int rootId, long scanId, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A file just written into the catalog: its entry and its name.</summary>
public sealed record AddedFile(long EntryId, string Name);

/// <summary>
/// Calls every <see cref="IContentListener"/>. A listener's failure never fails the scan or the upload that told it:
/// it is logged, and what it would have prepared is made on demand instead.
/// </summary>
public sealed class ContentListeners(IEnumerable<IContentListener> listeners, ILogger<ContentListeners> logger)
{
    public async Task ScanMergedAsync(long scanId, CancellationToken cancellationToken)
    {
        foreach (var listener in listeners)
        {
            try
            {
                await listener.ScanMergedAsync(scanId, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("{Listener} was not told about scan {Scan}: {Reason}", listener.GetType().Name, scanId, ex.Message);
            }
        }
    }

    public async Task ScanCompletedAsync(int rootId, long scanId, CancellationToken cancellationToken)
    {
        foreach (var listener in listeners)
        {
            try
            {
                await listener.ScanCompletedAsync(rootId, scanId, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("{Listener} was not told that scan {Scan} of root {Root} completed: {Reason}", listener.GetType().Name, scanId, rootId, ex.Message);
            }
        }
    }

    public async Task FilesAddedAsync(IReadOnlyList<AddedFile> files, CancellationToken cancellationToken)
    {
        foreach (var listener in listeners)
        {
            try
            {
                await listener.FilesAddedAsync(files, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("{Listener} was not told about entries {Entries}: {Reason}", listener.GetType().Name, files.Select(f => f.EntryId), ex.Message);
            }
        }
    }
}
