using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Storage;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// One folder of a root. The URL holds the root and the folder's path (and ?select= the selected entry), so every view
/// can be linked and reloaded.
/// </summary>
public partial class FolderPage
{
    private long? _folderId;
    private string? _rootName;
    private string? _folderName;
    private string? _error;
    private EntryDetails? _details;
    private int _selectionCount;
    private (int RootId, string Path)? _loaded;
    private int _navigations;

    [Parameter]
    public int RootId { get; set; }

    [Parameter]
    public string? Path { get; set; }

    [SupplyParameterFromQuery(Name = "select")]
    public long? Select { get; set; }

    [Inject] private CatalogBrowser Browser { get; set; } = default!;
    [Inject] private StorageRootQueries Roots { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private AccessSubject? _subject;

    protected override async Task OnParametersSetAsync()
    {
        _error = null;
        _subject ??= AccessSubject.FromPrincipal((await AuthenticationState).User);
        if (_subject is null)
        {
            _error = L["Error_entry.not_found"];
            return;
        }

        _rootName = (await Roots.ListAsync(CancellationToken.None)).FirstOrDefault(r => r.Id == RootId)?.Name;
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

        var folder = await Browser.ResolveFolderAsync(_subject, RootId, path, CancellationToken.None);
        if (!folder.IsSuccess)
        {
            _folderId = null;
            _error = path.Length == 0 ? L["Files_NotScanned"] : L.Describe(folder.Error!);
            return;
        }

        _folderId = folder.Value;
        _loaded = (RootId, path);
        _folderName = path.Length == 0 ? _rootName : path[(path.LastIndexOf('/') + 1)..];
        _details = Select is { } selected ? await Browser.GetAsync(_subject, selected, CancellationToken.None) : null;
        _selectionCount = _details is null ? 0 : 1;
    }

    private async Task ShowDetailsAsync((long? Id, int Count) selection)
    {
        _selectionCount = selection.Count;
        var navigations = _navigations;
        _details = selection.Id is { } id && _subject is not null ? await Browser.GetAsync(_subject, id, CancellationToken.None) : null;

        // Keep the URL a link to what is on screen, without a history entry per click; unless the user has meanwhile
        // opened another folder (a double-click selects twice, then opens).
        if (navigations == _navigations)
        {
            Navigation.NavigateTo(FolderLinks.Folder(RootId, Path ?? "", _details?.Id), replace: true);
        }
    }

    private void OpenAsync(BrowseItem item)
    {
        if (item.Kind == EntryKind.Directory)
        {
            _navigations++;
            Navigation.NavigateTo(FolderLinks.Folder(RootId, Join(Path, item.Name)));
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
