using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using Microsoft.AspNetCore.Components;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// Drag and drop to move: dragging a selected row drags the whole selection, an unselected row drags itself; folder
/// rows other than the dragged ones take the drop. The page asks Core, which refuses what the user may not do.
/// </summary>
/// <remarks>
/// Every folder row accepts a drop in the browser (dragover's default is prevented by markup, not by state that a
/// round trip to the server would set too late for a quick drag); <see cref="DropAsync"/> decides.
/// </remarks>
public partial class EntryList
{
    private Row? _dragged;
    private int _dropIndex = -1;

    /// <summary>Entries dropped on a folder of this list.</summary>
    [Parameter]
    public EventCallback<(IReadOnlyList<BrowseItem> Items, BrowseItem Folder)> OnDropInto { get; set; }

    private bool CanDrag => OnDropInto.HasDelegate;

    private void DragStart(Row row) => _dragged = row;

    private void DragEnd()
    {
        _dragged = null;
        _dropIndex = -1;
    }

    private bool IsDropTarget(Row row) => _dragged is { } dragged && IsDropTargetFor(dragged, row);

    private void DragEnter(Row row) => _dropIndex = IsDropTarget(row) ? row.Index : -1;

    private void DragLeave(Row row)
    {
        if (_dropIndex == row.Index)
        {
            _dropIndex = -1;
        }
    }

    private async Task DropAsync(Row target)
    {
        var dragged = _dragged;
        DragEnd();
        if (dragged is null || !IsDropTargetFor(dragged, target))
        {
            return;
        }

        IReadOnlyList<BrowseItem> items = IsSelected(dragged) ? await SelectedItemsAsync() : [dragged.Item];
        await OnDropInto.InvokeAsync((items.Where(i => i.Id != target.Item.Id).ToList(), target.Item));
    }

    private bool IsDropTargetFor(Row dragged, Row target) =>
        target.Item.Kind == EntryKind.Directory && target.Item.Id != dragged.Item.Id && !IsDraggedWithSelection(dragged, target);

    // A selected folder travels with the selection: it cannot also be where the selection goes.
    private bool IsDraggedWithSelection(Row dragged, Row target) => IsSelected(dragged) && IsSelected(target);

    private bool IsSelected(Row row) => _allSelected || _selected.Contains(row.Item.Id);
}
