using System.Globalization;
using Coravel.Invocable;
using FileVault.Core.Cleanup;
using FileVault.Core.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FileVault.Core.Media;

/// <summary>
/// The one sweep of the thumbnail folder (<see cref="ThumbnailFolder.SweepAsync"/>): orphans, vanished entries and
/// changed images, a bounded number of entry folders per run (FileVault:Media:FolderSweepEntriesPerRun), on
/// FileVault:Media:FolderSweepCron. It runs as a cleanup sweep: once per occurrence across instances, recorded in
/// <c>cleanup_runs</c> (the services page). Where the last run stopped is kept in Redis, so whichever instance runs
/// the next occurrence goes on from there; Redis is needed anyway, for running once.
/// </summary>
public sealed class ThumbnailFolderSweep(ThumbnailFolder folder, CleanupRuns runs, IConnectionMultiplexer redis, RedisKeys keys, IOptions<MediaOptions> options)
    : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "thumbnails";

    public Task Invoke() => runs.RunOnceAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken)
    {
        if (!folder.IsConfigured)
        {
            return new SweepOutcome(0);
        }

        var database = redis.GetDatabase();
        var cursor = keys.For("thumbnails:sweep-next-bucket");
        var from = (int?)await database.StringGetAsync(cursor) ?? 0;
        var swept = await folder.SweepAsync(from, options.Value.FolderSweepEntriesPerRun, cancellationToken);
        await database.StringSetAsync(cursor, swept.NextBucket.ToString(CultureInfo.InvariantCulture));
        return new SweepOutcome(swept.FilesDeleted, swept.FilesKept);
    }
}
