using System.Collections.Concurrent;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Catalog;

/// <summary>
/// Moves folders' stamps (their <c>modified_at</c>, what an open folder page polls every few seconds to show new files)
/// after a change has been committed, off the request that made it: the request hands over the folder and its mtime
/// on disk and answers at once; one writer gathers what arrives within <see cref="Window"/> and writes it in one
/// statement, the latest mtime per folder. A folder upload's thousand files into one folder move its stamp a few times
/// a second instead of a thousand times, and no file's answer waits for it.
/// </summary>
/// <remarks>
/// A stamp is not a record anything else relies on: it is the folder's mtime as on disk, which the next scan sets again.
/// One lost (a crash before it was written, PostgreSQL unreachable for a moment) only delays an open page's refresh of
/// that folder to its next change or the next scan. The statement commits without waiting for the WAL flush for the
/// same reason.
/// </remarks>
public sealed class FolderStamps(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<FolderStamps> logger)
{
    /// <summary>How long the writer gathers stamps before it writes them: well under the pages' polling interval.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentQueue<(long Id, DateTimeOffset Modified)> _pending = new();
    private int _writing;

    /// <summary>Hands over new stamps; they are written within about <see cref="Window"/>.</summary>
    public void Move(IReadOnlyList<long> ids, IReadOnlyList<DateTimeOffset> modified)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(modified);
        for (var i = 0; i < ids.Count; i++)
        {
            _pending.Enqueue((ids[i], modified[i]));
        }

        StartWriter();
    }

    private void StartWriter()
    {
        if (!_pending.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = Task.Run(WriteAsync);
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await Task.Delay(Window, time);
            var latest = new Dictionary<long, DateTimeOffset>();
            while (_pending.TryDequeue(out var stamp))
            {
                latest[stamp.Id] = latest.TryGetValue(stamp.Id, out var known) && known > stamp.Modified ? known : stamp.Modified;
            }

            if (latest.Count > 0)
            {
                await WriteAsync([.. latest.Keys], [.. latest.Values]);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("Folder stamps not moved: {Reason}", ex.Message);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
            // Stamps handed over after the queue was emptied and before the flag went down would wait for the next
            // change: start again for them.
            StartWriter();
        }
    }

    private async Task WriteAsync(long[] ids, DateTimeOffset[] modified)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        // One statement that commits alone: set_config(..., true) turns synchronous_commit off for its own transaction
        // only (the pooled connection keeps its setting).
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            await db.Database.ExecuteSqlAsync($"""
                UPDATE entries SET modified_at = t.modified
                FROM unnest({ids}, {modified}) AS t(id, modified), (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
                WHERE entries.id = t.id
                """, CancellationToken.None));
    }
}
