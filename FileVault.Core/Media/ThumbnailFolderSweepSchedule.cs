using Coravel.Invocable;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Media;

/// <summary>The schedule that keeps the thumbnail folder to what the catalog still needs (<see cref="ThumbnailFolder.SweepAsync"/>); nothing to do without a folder.</summary>
public sealed class ThumbnailFolderSweepSchedule(ThumbnailFolder folder, IOptions<MediaOptions> options) : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => folder.SweepAsync(options.Value.FolderSweepEntriesPerRun, CancellationToken);
}
