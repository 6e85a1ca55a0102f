using FileVault.Core.Catalog;
using FileVault.Core.Downloads;
using FileVault.Web.Components.Shared;
using FileVault.Web.Endpoints;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// Download of the selection: one file by its content link (a GET with the cookie, resumable), anything else as a ZIP
/// posted by the page's hidden form (antiforgery token inside), so the browser streams it to disk while it is built.
/// </summary>
public partial class FolderPage
{
    private ElementReference _zipForm;
    private IJSObjectReference? _downloads;

    [Inject] private DownloadService Downloads { get; set; } = default!;

    /// <summary>The content link while exactly one file is selected: the toolbar and the details panel show it as a plain link.</summary>
    private string? SingleFileLink => _selectionCount == 1 && _details is { Kind: EntryKind.File } file ? DownloadEndpoints.ContentPath(file.Id) : null;

    private async Task DownloadSelectionAsync()
    {
        if (_list is null || _subject is not { } subject || await _list.SelectedItemsAsync() is not { Count: > 0 } items)
        {
            return;
        }

        _downloads ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/download.js");
        if (items is [{ Kind: EntryKind.File } file])
        {
            await _downloads.InvokeVoidAsync("saveLink", DownloadEndpoints.ContentPath(file.Id));
            return;
        }

        // Checked here first, so a refusal is a snackbar and not an error page in place of this one; the post checks again.
        var ids = items.Select(i => i.Id).ToList();
        var zip = await Downloads.PrepareZipAsync(subject, ids, null, CancellationToken.None);
        if (!zip.IsSuccess)
        {
            Snackbar.Add(L.Describe(zip.Error!), Severity.Warning);
            return;
        }

        await _downloads.InvokeVoidAsync("submitZip", _zipForm, ids);
        Snackbar.Add(L["Download_ZipStarted", zip.Value.FileName], Severity.Info);
    }
}
