using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using MudBlazor;
using FileVault.Core.Storage;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// One folder of a root. The URL holds the root and the folder's path (and ?select= the selected entry), so every view
/// can be linked and reloaded.
/// </summary>
public partial class FolderPage : IDisposable
{
    private long? _folderId;
    private string? _rootName;
    private string? _folderName;
    private string? _error;
    private EntryDetails? _details;
    private int _selectionCount;
    private (int RootId, string Path)? _loaded;
    private int _navigations;
    private bool _canWrite;
    private bool _canDelete;
    private bool _grid;
    private EntryList? _list;

    [Parameter]
    public int RootId { get; set; }

    [Parameter]
    public string? Path { get; set; }

    [SupplyParameterFromQuery(Name = "select")]
    public long? Select { get; set; }

    [Inject] private CatalogBrowser Browser { get; set; } = default!;
    [Inject] private StorageRootQueries Roots { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    private IJSObjectReference? _location;
    private IJSObjectReference? _preferences;
    private const string GridPreference = "folderView";
    [Inject] private AccessEvaluator Access { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private AccessSubject? _subject;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        await FollowUploadTargetAsync();
        if (!firstRender)
        {
            return;
        }

        StartWatching();
        // List or grid, as last chosen on this device.
        _preferences = await JS.InvokeAsync<IJSObjectReference>("import", "./js/preferences.js");
        if (await _preferences.InvokeAsync<string?>("get", GridPreference) == "grid" && !_grid)
        {
            _grid = true;
            StateHasChanged();
            await PrioritizeVisibleAsync();
        }
    }

    private async Task SetGridAsync(bool grid)
    {
        _grid = grid;
        await PrioritizeVisibleAsync();
        if (_preferences is not null)
        {
            await _preferences.InvokeVoidAsync("set", GridPreference, grid ? "grid" : "list");
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        _error = null;
        ForgetFirstScan();
        _subject ??= AccessSubject.FromPrincipal((await AuthenticationState).User);
        if (_subject is null)
        {
            _error = L["Error_entry.not_found"];
            return;
        }

        _rootName = await Roots.NameAsync(RootId, CancellationToken.None);
        if (_rootName is null)
        {
            _folderId = null;
            _error = L["Error_entry.not_found"];
            return;
        }

        var path = Path ?? "";
        if (_loaded == (RootId, path) && _folderId is not null)
        {
            // Only ?select= changed (the list updates it as the user selects).
            if (Select != _details?.Id)
            {
                _details = Select is { } id ? await Browser.GetAsync(_subject, id, CancellationToken.None) : null;
            }

            return;
        }

        // Another folder (Back, a link): the viewer belonged to the one left.
        _viewing = null;
        var folder = await Browser.ResolveFolderAsync(_subject, RootId, path, CancellationToken.None);
        if (!folder.IsSuccess)
        {
            _folderId = null;
            if (path.Length == 0)
            {
                await ShowFirstScanAsync();
            }
            else
            {
                _error = L.Describe(folder.Error!);
            }

            return;
        }

        // The stamp first, then the folder: the watcher never sees the new folder with the old folder's stamp.
        _folderStamp = await Browser.FolderStampAsync(_subject, folder.Value, CancellationToken.None);
        _folderId = folder.Value;
        _loaded = (RootId, path);
        // The button is hidden from those who may not write; Core refuses them anyway.
        _canWrite = await Access.CanWriteAsync(_subject, RootId, path, CancellationToken.None);
        _canDelete = await Access.CanDeleteAsync(_subject, RootId, path, CancellationToken.None);
        _folderName = path.Length == 0 ? _rootName : path[(path.LastIndexOf('/') + 1)..];
        _details = Select is { } selected ? await Browser.GetAsync(_subject, selected, CancellationToken.None) : null;
        _selectionCount = _details is null ? 0 : 1;
        await PrioritizeVisibleAsync();
    }

    private async Task ShowDetailsAsync((long? Id, int Count) selection)
    {
        _selectionCount = selection.Count;
        var navigations = _navigations;
        _details = selection.Id is { } id && _subject is not null ? await Browser.GetAsync(_subject, id, CancellationToken.None) : null;

        // Keep the URL a link to what is on screen (no history entry, no re-render); unless the user has meanwhile
        // opened another folder (a double-click selects twice, then opens). The check comes after the last await before
        // the link is built: checked before the module import, an open landing during it put the old selection into
        // the new folder's URL.
        _location ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/location.js");
        if (navigations == _navigations)
        {
            await _location.InvokeVoidAsync("replaceUrl", FolderLinks.Folder(RootId, Path ?? "", _details?.Id));
        }
    }

    private void OpenAsync(BrowseItem item)
    {
        if (item.Kind == EntryKind.Directory)
        {
            _navigations++;
            Navigation.NavigateTo(FolderLinks.Folder(RootId, Join(Path, item.Name)));
        }
        else if (EntryList.IsImage(item))
        {
            OpenViewer(item);
        }
    }

    private void GoUp()
    {
        var path = Path ?? "";
        if (path.Length > 0)
        {
            _navigations++;
            var slash = path.LastIndexOf('/');
            Navigation.NavigateTo(FolderLinks.Folder(RootId, slash < 0 ? "" : path[..slash]));
        }
    }

    public void Dispose()
    {
        StopWatching();
        GC.SuppressFinalize(this);
    }

    private static string Join(string? folder, string name) => string.IsNullOrEmpty(folder) ? name : folder + "/" + name;
}

/// <summary>Links to folders: each path component percent-encoded, so '#', '?', '%' and Korean names survive.</summary>
public static class FolderLinks
{
    public static string Folder(int rootId, string relativePath, long? select = null)
    {
        var path = string.Join('/', relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        var link = path.Length == 0 ? $"/files/{rootId}" : $"/files/{rootId}/{path}";
        return select is { } id ? $"{link}?select={id}" : link;
    }
}
