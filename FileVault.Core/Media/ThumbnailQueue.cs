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
    public async Task ScanMergedAsync(long scanId, CancellationToken cancellationToken)
    {
        if (await InsertAsync("e.changed_by_scan_id = {0}", scanId, cancellationToken) > 0)
        {
            await events.NotifyQueuedAsync();
        }
    }

    public async Task FilesAddedAsync(IReadOnlyList<long> entryIds, CancellationToken cancellationToken)
    {
        if (entryIds.Count > 0 && await InsertAsync("e.id = ANY({0})", entryIds.ToArray(), cancellationToken) > 0)
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
