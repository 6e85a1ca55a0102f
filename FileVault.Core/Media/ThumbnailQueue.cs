using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Media;

/// <summary>
/// Queues thumbnail jobs (<see cref="ThumbnailJobHandler"/>) for images that came into the catalog: the new and changed
/// files of a scan, set-based in one statement however many there are, and each completed upload. One job holds up to
/// <see cref="MediaOptions.QueueBatchSize"/> images of one folder in name order. The jobs belong to FileVault itself
/// (no owner): they only fill the cache and the EXIF table, and every thumbnail is still served per user through
/// <see cref="ThumbnailService.GetAsync"/>, which checks read access on each request.
/// </summary>
public sealed class ThumbnailQueue(IDbContextFactory<FileVaultDbContext> contexts, JobEvents events, IOptions<MediaOptions> options, TimeProvider time)
    : IContentListener
{
    /// <summary>
    /// The queue of the folders people have open. The runner claims each queue on its own, so a job here does not wait
    /// behind a scan's backlog in <see cref="JobQueues.Thumbnail"/>; its decodes still wait behind requests.
    /// </summary>
    public const string VisibleQueue = "thumbnail-visible";

    /// <summary>
    /// Queues the first <see cref="MediaOptions.QueueBatchSize"/> images of a folder (name order) that have not been
    /// read yet (no EXIF row of their size), once per state of the folder (<paramref name="stamp"/>, its modification
    /// time): a folder already done queues nothing. The caller checked that the user may read the folder.
    /// </summary>
    public async Task<bool> QueueVisibleAsync(long folderId, DateTimeOffset stamp, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"visible:{folderId}:{stamp.UtcTicks}");
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO jobs (type, queue, payload, owner_id, status, progress, attempts, cancel_requested, created_at, idempotency_key)
            SELECT {ThumbnailJobHandler.JobType}, {VisibleQueue}, jsonb_build_object('entryIds', jsonb_agg(id ORDER BY name_key)), {Guid.Empty},
                   0, 0, 0, false, {time.GetUtcNow()}, {key}
            FROM (SELECT e.id, e.name_key FROM entries e
                  WHERE e.parent_id = {folderId} AND e.state = 0 AND e.kind = 1 AND e.extension = ANY({ThumbnailGenerator.Extensions.ToArray()})
                    AND NOT EXISTS (SELECT 1 FROM entry_media m WHERE m.entry_id = e.id AND m.content_length = e.size)
                  ORDER BY e.name_key LIMIT {options.Value.QueueBatchSize}) images
            HAVING count(*) > 0
            ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """, cancellationToken);
        if (inserted > 0)
        {
            await events.NotifyQueuedAsync();
        }

        return inserted > 0;
    }

    public async Task ScanMergedAsync(long scanId, CancellationToken cancellationToken)
    {
        if (await InsertAsync("e.changed_by_scan_id = {0}", scanId, cancellationToken) > 0)
        {
            await events.NotifyQueuedAsync();
        }
    }

    public async Task FilesAddedAsync(IReadOnlyList<AddedFile> files, CancellationToken cancellationToken)
    {
        // Only images can become thumbnail jobs (the query asks the catalog's extension, which is EntryName.Extension of
        // the name too): a folder upload's other files cost no query each.
        var images = files.Where(f => ThumbnailGenerator.IsImageExtension(EntryName.Extension(f.Name))).Select(f => f.EntryId).ToArray();
        if (images.Length > 0 && await InsertAsync("e.id = ANY({0})", images, cancellationToken) > 0)
        {
            await events.NotifyQueuedAsync();
        }
    }

    /// <summary>One job row per folder and batch of its active image files matching <paramref name="filter"/> (raw SQL, its one parameter {0}).</summary>
    private async Task<int> InsertAsync(string filter, object value, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sql = $$"""
            INSERT INTO jobs (type, queue, payload, owner_id, status, progress, attempts, cancel_requested, created_at)
            SELECT {1}, {2}, jsonb_build_object('entryIds', jsonb_agg(id ORDER BY name_key)), {3}, 0, 0, 0, false, {4}
            FROM (SELECT e.id, e.parent_id, e.name_key,
                         (row_number() OVER (PARTITION BY e.parent_id ORDER BY e.name_key) - 1) / {5} AS batch
                  FROM entries e
                  WHERE {{filter}} AND e.state = 0 AND e.kind = 1 AND e.extension = ANY({6})) images
            GROUP BY parent_id, batch
            """;
        return await db.Database.ExecuteSqlRawAsync(sql, [value, ThumbnailJobHandler.JobType, JobQueues.Thumbnail, Guid.Empty, time.GetUtcNow(),
            options.Value.QueueBatchSize, ThumbnailGenerator.Extensions.ToArray()], cancellationToken);
    }
}
