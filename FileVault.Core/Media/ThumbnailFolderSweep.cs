using Coravel.Invocable;
using FileVault.Core.Cleanup;

namespace FileVault.Core.Media;

/// <summary>The daily sweep of the thumbnail folder: thumbnails of entries the catalog no longer holds are deleted.</summary>
public sealed class ThumbnailFolderSweep(ThumbnailFolder folder, CleanupRuns runs) : IInvocable, ICancellableInvocable, ICleanupSweep
{
    public CancellationToken CancellationToken { get; set; }

    public string SweepName => "thumbnails";

    public Task Invoke() => runs.RunAsync(this, CancellationToken);

    public async Task<SweepOutcome> SweepAsync(CancellationToken cancellationToken)
    {
        if (!folder.IsConfigured)
        {
            return new SweepOutcome(0);
        }

        var (removed, kept) = await folder.RemoveOrphansAsync(cancellationToken);
        return new SweepOutcome(removed, kept);
    }
}
