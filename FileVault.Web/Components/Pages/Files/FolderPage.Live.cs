namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// The open folder follows its changes, whoever made them (another user, another window, a scan, an instance behind the
/// same nginx): every few seconds the page reads the folder's stamp (its modification time, one primary-key read) and,
/// when it moved, reloads the list and the tree's branch in place, the selection kept. A folder that is gone or no longer
/// readable says so. Polling a stamp, unlike an event, cannot be missed by a page that was reconnecting.
/// </summary>
public partial class FolderPage
{
    /// <summary>How often an open folder checks for changes.</summary>
    public static readonly TimeSpan FolderPollInterval = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _watching = new();
    private DateTimeOffset? _folderStamp;
    private int _treeVersion;
    private Task? _watcher;

    /// <summary>Starts following the folder; called once the page runs in its circuit (a prerendered page is thrown away).</summary>
    private void StartWatching() => _watcher ??= WatchFolderAsync(_watching.Token);

    private async Task WatchFolderAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FolderPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_folderId is not { } folderId || _subject is null || _list is null)
                {
                    continue;
                }

                DateTimeOffset? stamp;
                try
                {
                    stamp = await Browser.FolderStampAsync(_subject, folderId, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is restarting: the page keeps what it shows and asks again at the next tick.
                    continue;
                }

                // The user moved to another folder while the stamp was read: that folder has its own baseline.
                if (folderId != _folderId || stamp == _folderStamp)
                {
                    continue;
                }

                _folderStamp = stamp;
                await InvokeAsync(async () =>
                {
                    if (stamp is null)
                    {
                        _error = L["Files_FolderGone"];
                    }
                    else if (_list is not null)
                    {
                        await _list.RefreshAsync();
                        _treeVersion++;
                    }

                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
    }

    private void StopWatching()
    {
        _watching.Cancel();
        _watching.Dispose();
    }
}
