using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.Web.Virtualization;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// A folder's entries in a virtualized list: only the visible rows are rendered and fetched, so a folder of 100,000
/// opens as fast as one of ten. Click, Ctrl-click and Shift-click select; arrows move; Enter opens; Backspace goes up;
/// Ctrl+A selects all. Every row's mouse and drag events go to one handler on the rows' container
/// (<see cref="OnRowEventAsync"/>).
/// </summary>
public partial class EntryList
{
    private readonly Dictionary<int, BrowseItem> _loaded = [];
    private readonly HashSet<long> _selected = [];
    private Virtualize<Row>? _virtualize;
    private BrowseSort _sort = BrowseSort.Name;
    private bool _descending;
    private bool _allSelected;
    private int _total;
    private int _anchor = -1;
    private int _focus = -1;

    [Parameter, EditorRequired]
    public long FolderId { get; set; }

    /// <summary>The acting user: rows they cannot read are filtered out in SQL.</summary>
    [Parameter, EditorRequired]
    public AccessSubject Subject { get; set; } = default!;

    [Parameter]
    public long? SelectedId { get; set; }

    [Parameter]
    public EventCallback<BrowseItem> OnOpen { get; set; }

    [Parameter]
    public EventCallback OnUp { get; set; }

    /// <summary>F2 on the focused entry.</summary>
    [Parameter]
    public EventCallback<BrowseItem> OnRename { get; set; }

    /// <summary>Delete on the selection.</summary>
    [Parameter]
    public EventCallback OnDelete { get; set; }

    /// <summary>Right-click on an entry, after it joined (or became) the selection; the arguments place the menu.</summary>
    [Parameter]
    public EventCallback<MouseEventArgs> OnContextMenu { get; set; }

    /// <summary>The single selected entry (null for none or many) and how many are selected.</summary>
    [Parameter]
    public EventCallback<(long? Id, int Count)> OnSelectionChanged { get; set; }

    [Inject] private CatalogBrowser Browser { get; set; } = default!;

    private int SelectionCount => _allSelected ? _total : _selected.Count;

    protected override void OnInitialized()
    {
        if (SelectedId is { } id)
        {
            _selected.Add(id);
        }
    }

    private async ValueTask<ItemsProviderResult<Row>> LoadAsync(ItemsProviderRequest request)
    {
        var (items, total) = await Browser.WindowAsync(Subject, FolderId, _sort, _descending, request.StartIndex, request.Count, request.CancellationToken);
        if (total != _total)
        {
            // The status line lives outside Virtualize, which only re-renders itself.
            _total = total;
            StateHasChanged();
        }

        var rows = new List<Row>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var index = request.StartIndex + i;
            _loaded[index] = items[i];
            rows.Add(new Row(index, items[i]));
        }

        return new ItemsProviderResult<Row>(rows, total);
    }

    private async Task SortAsync(BrowseSort sort)
    {
        _descending = sort == _sort && !_descending;
        _sort = sort;
        _loaded.Clear();
        _anchor = _focus = -1;
        await RefreshViewAsync();
    }

    /// <summary>
    /// The one handler of every row's events, raised by the rows' container with the row's index (-1 between rows).
    /// A row handler made per row and per render (a lambda) got a new id at every render, so a double-click whose first
    /// click re-rendered the rows (it selects) could arrive for a handler already replaced and be lost; this handler
    /// and its id stay the same across renders.
    /// </summary>
    private async Task OnRowEventAsync(RowEventArgs e)
    {
        if (e.Type == "dragend")
        {
            DragEnd();
            return;
        }

        if (!_loaded.TryGetValue(e.Index, out var item))
        {
            return;
        }

        var row = new Row(e.Index, item);
        switch (e.Type)
        {
            case "click":
                await Select(row, e);
                break;
            case "dblclick":
                await OnOpen.InvokeAsync(item);
                break;
            case "contextmenu":
                await ContextMenuAsync(row, e);
                break;
            case "dragstart":
                DragStart(row);
                break;
            case "dragenter":
                DragEnter(row);
                break;
            case "dragleave":
                DragLeave(row);
                break;
            case "drop":
                await DropAsync(row);
                break;
        }
    }

    private async Task Select(Row row, MouseEventArgs e)
    {
        _allSelected = false;
        if (e.ShiftKey && _anchor >= 0)
        {
            _selected.Clear();
            for (var i = Math.Min(_anchor, row.Index); i <= Math.Max(_anchor, row.Index); i++)
            {
                if (_loaded.TryGetValue(i, out var item))
                {
                    _selected.Add(item.Id);
                }
            }
        }
        else if (e.CtrlKey || e.MetaKey)
        {
            if (!_selected.Remove(row.Item.Id))
            {
                _selected.Add(row.Item.Id);
            }

            _anchor = row.Index;
        }
        else
        {
            _selected.Clear();
            _selected.Add(row.Item.Id);
            _anchor = row.Index;
        }

        _focus = row.Index;
        await NotifySelectionAsync();
    }

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        switch (e.Key)
        {
            case "Enter" when _focus >= 0 && _loaded.TryGetValue(_focus, out var focused):
                await OnOpen.InvokeAsync(focused);
                break;
            case "Backspace":
                await OnUp.InvokeAsync();
                break;
            case "F2" when _focus >= 0 && _loaded.TryGetValue(_focus, out var renamed):
                await OnRename.InvokeAsync(renamed);
                break;
            case "Delete" when SelectionCount > 0:
                await OnDelete.InvokeAsync();
                break;
            case "a" or "A" when e.CtrlKey || e.MetaKey:
                _allSelected = true;
                _selected.Clear();
                await NotifySelectionAsync();
                break;
            case "ArrowDown" or "ArrowUp" or "ArrowLeft" or "ArrowRight" when KeyStep(e.Key) != 0:
                var next = Math.Clamp(_focus + KeyStep(e.Key), 0, Math.Max(0, _total - 1));
                if (_loaded.TryGetValue(next, out var item))
                {
                    _allSelected = false;
                    _selected.Clear();
                    _selected.Add(item.Id);
                    _focus = _anchor = next;
                    await NotifySelectionAsync();
                }

                break;
        }
    }

    /// <summary>Reloads the rows after a change in the folder.</summary>
    public async Task RefreshAsync()
    {
        _loaded.Clear();
        await RefreshViewAsync();
        StateHasChanged();
    }

    /// <summary>
    /// The selected entries, in list order. After Ctrl+A that is every entry of the folder, fetched in pages of the
    /// browser's largest window.
    /// </summary>
    public async Task<IReadOnlyList<BrowseItem>> SelectedItemsAsync(CancellationToken cancellationToken = default)
    {
        if (!_allSelected)
        {
            return _loaded.OrderBy(pair => pair.Key).Select(pair => pair.Value).Where(item => _selected.Contains(item.Id)).ToList();
        }

        var all = new List<BrowseItem>(_total);
        while (true)
        {
            var (items, total) = await Browser.WindowAsync(Subject, FolderId, _sort, _descending, all.Count, CatalogBrowser.MaxPageSize, cancellationToken);
            all.AddRange(items);
            if (items.Count == 0 || all.Count >= total)
            {
                return all;
            }
        }
    }

    /// <summary>Clears the selection (after the selected entries moved away).</summary>
    public async Task ClearSelectionAsync()
    {
        _selected.Clear();
        _allSelected = false;
        await NotifySelectionAsync();
    }

    private Task NotifySelectionAsync() =>
        OnSelectionChanged.InvokeAsync((_selected.Count == 1 && !_allSelected ? _selected.First() : null, SelectionCount));

    private async Task ContextMenuAsync(Row row, MouseEventArgs e)
    {
        if (!_allSelected && !_selected.Contains(row.Item.Id))
        {
            _selected.Clear();
            _selected.Add(row.Item.Id);
            _anchor = row.Index;
            await NotifySelectionAsync();
        }

        _focus = row.Index;
        await OnContextMenu.InvokeAsync(e);
    }

    private string ItemClass(Row row) =>
        (Grid ? "fv-tile" : "fv-entry-row") + (_allSelected || _selected.Contains(row.Item.Id) ? " fv-selected" : "") + (row.Index == _focus ? " fv-focused" : "")
        + (row.Index == _dropIndex ? " fv-drop-target" : "");

    private string TypeLabel(BrowseItem item) => item.Kind switch
    {
        EntryKind.Directory => L["Files_Folder"],
        EntryKind.Symlink => L["Files_Link"],
        _ => item.Extension?.ToUpperInvariant() ?? "",
    };

    private sealed record Row(int Index, BrowseItem Item);
}
