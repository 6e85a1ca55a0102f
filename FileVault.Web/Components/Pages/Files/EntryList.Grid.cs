using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web.Virtualization;
using Microsoft.JSInterop;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// The grid view: tiles (an image's thumbnail, else its type icon), virtualized by lines of as many tiles as the list is
/// wide, so a folder of 100,000 scrolls like the list does. Selection, keys and drag and drop are the list's.
/// </summary>
public partial class EntryList
{
    private const int GridLineHeight = 148;
    private const int TileMinWidth = 136;
    private Virtualize<GridLine>? _virtualizeGrid;
    private ElementReference _rowsElement;
    private IJSObjectReference? _elementSize;
    private int _perLine;

    [Parameter]
    public bool Grid { get; set; }

    [Inject] private IJSRuntime JS { get; set; } = default!;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (Grid && _perLine == 0)
        {
            _elementSize ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/element-size.js");
            var width = await _elementSize.InvokeAsync<double>("innerWidth", _rowsElement);
            _perLine = Math.Max(1, (int)(width / TileMinWidth));
            _loaded.Clear();
            StateHasChanged();
        }
        else if (!Grid && _perLine != 0)
        {
            // Back to the list: measure again next time, the window may have changed.
            _perLine = 0;
        }
    }

    private async ValueTask<ItemsProviderResult<GridLine>> LoadLinesAsync(ItemsProviderRequest request)
    {
        var perLine = Math.Max(1, _perLine);
        var (items, total) = await Browser.WindowAsync(Subject, FolderId, _sort, _descending, request.StartIndex * perLine,
            request.Count * perLine, request.CancellationToken);
        if (total != _total)
        {
            _total = total;
            StateHasChanged();
        }

        var lines = new List<GridLine>();
        for (var i = 0; i < items.Count; i += perLine)
        {
            var rows = new List<Row>(perLine);
            for (var j = i; j < Math.Min(i + perLine, items.Count); j++)
            {
                var index = request.StartIndex * perLine + j;
                _loaded[index] = items[j];
                rows.Add(new Row(index, items[j]));
            }

            lines.Add(new GridLine(rows));
        }

        return new ItemsProviderResult<GridLine>(lines, (total + perLine - 1) / perLine);
    }

    private Task RefreshViewAsync() =>
        Grid ? _virtualizeGrid?.RefreshDataAsync() ?? Task.CompletedTask : _virtualize?.RefreshDataAsync() ?? Task.CompletedTask;

    // Up and down move by a line of tiles in the grid, by one row in the list.
    private int KeyStep(string key) => key switch
    {
        "ArrowDown" => Grid ? Math.Max(1, _perLine) : 1,
        "ArrowUp" => Grid ? -Math.Max(1, _perLine) : -1,
        "ArrowRight" => Grid ? 1 : 0,
        "ArrowLeft" => Grid ? -1 : 0,
        _ => 0,
    };

    private string SortLabel(BrowseSort sort) => sort switch
    {
        BrowseSort.Size => L["Files_Size"],
        BrowseSort.Modified => L["Files_Modified"],
        BrowseSort.Type => L["Files_Type"],
        _ => L["Files_Name"],
    };

    private sealed record GridLine(IReadOnlyList<Row> Rows);
}
