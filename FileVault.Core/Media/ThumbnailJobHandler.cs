using FileVault.Core.Jobs;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Media;

/// <summary>The images of one thumbnail job, by entry id (one folder's, in name order).</summary>
public sealed record ThumbnailBatch(long[] EntryIds);

/// <summary>How many of a batch's images are done: a resumed job starts after them.</summary>
public sealed record ThumbnailCheckpoint(int Done);

/// <summary>
/// Makes the queued sizes (<see cref="MediaOptions.QueuedSizes"/>) and the EXIF of a batch of images, one image at a
/// time, each decode waiting behind every request for a slot (<see cref="GenerationGate"/>). It changes nothing on disk
/// and answers no one: it fills the cache, which only <see cref="ThumbnailService.GetAsync"/> serves, per user, after
/// its access check.
/// </summary>
internal sealed class ThumbnailJobHandler(ThumbnailService thumbnails, IOptions<MediaOptions> options) : IJobHandler
{
    public const string JobType = "thumbnails";

    private const int CheckpointEvery = 10;

    public string Type => JobType;

    public async Task<JobOutcome> RunAsync(JobRun run)
    {
        var batch = run.Payload<ThumbnailBatch>();
        var sizes = options.Value.QueuedSizeList;
        var start = run.Checkpoint<ThumbnailCheckpoint>()?.Done ?? 0;
        int ready = 0, failed = 0, skipped = 0;
        for (var i = start; i < batch.EntryIds.Length; i++)
        {
            run.Stopping.ThrowIfCancellationRequested();
            switch (await thumbnails.PrepareAsync(batch.EntryIds[i], sizes, run.Stopping))
            {
                case PrepareOutcome.Ready:
                    ready++;
                    break;
                case PrepareOutcome.Failed:
                    failed++;
                    break;
                default:
                    skipped++;
                    break;
            }

            var done = i + 1;
            if (done % CheckpointEvery == 0 || done == batch.EntryIds.Length)
            {
                await run.SaveCheckpointAsync(new ThumbnailCheckpoint(done), CancellationToken.None);
                await run.ReportAsync(done, batch.EntryIds.Length, null);
            }
        }

        return JobOutcome.Succeeded(new { ready, failed, skipped });
    }
}
