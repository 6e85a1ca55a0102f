using FileVault.Core.Browsing;
using FileVault.Core.Operations;
using Microsoft.AspNetCore.Components.Web;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// The commands of the toolbar and the right-click menu, and the list's keys and drops, turned into calls on
/// <see cref="FolderActions"/> with the selection; when a job queued there ends, the list and the tree reload.
/// </summary>
public partial class FolderPage
{
    private EntryContextMenu? _contextMenu;
    private FolderActions? _actions;

    private FolderAbilities Abilities => new(_canWrite, _canDelete, _selectionCount);

    private OpenFolder? Folder => _folderId is { } id ? new OpenFolder(RootId, Path ?? "", id, _folderName ?? "") : null;

    private Task OpenContextMenuAsync(MouseEventArgs e) => _contextMenu?.OpenAsync(e) ?? Task.CompletedTask;

    private async Task RunAsync(FolderCommand command)
    {
        if (command == FolderCommand.Download)
        {
            await DownloadSelectionAsync();
            return;
        }

        if (_actions is null || _list is null)
        {
            return;
        }

        if (command == FolderCommand.NewFolder)
        {
            await _actions.NewFolderAsync();
            return;
        }

        var items = await _list.SelectedItemsAsync();
        if (items.Count == 0)
        {
            return;
        }

        switch (command)
        {
            case FolderCommand.Open when items is [var item]:
                OpenAsync(item);
                break;
            case FolderCommand.Rename:
                await RenameAsync(items[0]);
                break;
            case FolderCommand.BatchRename:
                await _actions.BatchRenameAsync(items);
                break;
            case FolderCommand.Move:
                await _actions.TransferAsync(TransferKind.Move, items);
                break;
            case FolderCommand.Copy:
                await _actions.TransferAsync(TransferKind.Copy, items);
                break;
            case FolderCommand.Compress:
                await _actions.CompressAsync(items);
                break;
            case FolderCommand.Delete:
                await _actions.DeleteAsync(items);
                break;
        }
    }

    /// <summary>F2 (or the menu): the focused entry alone, or the batch dialog when several are selected.</summary>
    private async Task RenameAsync(BrowseItem item)
    {
        if (_actions is null || _list is null)
        {
            return;
        }

        if (_selectionCount > 1)
        {
            await _actions.BatchRenameAsync(await _list.SelectedItemsAsync());
            return;
        }

        await _actions.RenameAsync(item);
    }

    private Task DeleteSelectionAsync() => RunAsync(FolderCommand.Delete);

    private Task DropIntoAsync((IReadOnlyList<BrowseItem> Items, BrowseItem Folder) drop) =>
        drop.Items.Count == 0 || _actions is null ? Task.CompletedTask : _actions.TransferAsync(TransferKind.Move, drop.Items, drop.Folder.Id);

    private async Task JobFinishedAsync()
    {
        if (_list is null)
        {
            return;
        }

        await _list.ClearSelectionAsync();
        await _list.RefreshAsync();
        _treeVersion++;
    }
}
