using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Media;
using Microsoft.AspNetCore.Components;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>The photo viewer over the folder: opened on an image (double-click, Enter, the context menu's Open), stepping through the list's images.</summary>
public partial class FolderPage
{
    private (int Index, BrowseItem Item)? _viewing;

    [Inject] private ThumbnailService Thumbnails { get; set; } = default!;

    /// <summary>In the grid, the open folder's photos not made yet go ahead of any scan's backlog (Core checks read access).</summary>
    private async Task PrioritizeVisibleAsync()
    {
        if (_grid && _folderId is { } folder && _subject is not null)
        {
            try
            {
                await Thumbnails.PrioritizeFolderAsync(_subject, folder, CancellationToken.None);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
            {
                // Only a head start: the tiles are made on request anyway.
            }
        }
    }

    private void OpenViewer(BrowseItem item)
    {
        _viewing = (_list?.IndexOf(item.Id) ?? -1, item);
    }

    private async Task<bool> StepViewerAsync(int direction)
    {
        if (_viewing is not { } viewing || _list is null || viewing.Index < 0)
        {
            return false;
        }

        if (await _list.NextImageAsync(viewing.Index, direction) is not { } next)
        {
            return false;
        }

        _viewing = next;
        StateHasChanged();
        return true;
    }

    private async Task CloseViewerAsync()
    {
        _viewing = null;
        // Back to the list with the keyboard, where the user left it.
        if (_list is not null)
        {
            await _list.FocusAsync();
        }
    }
}
