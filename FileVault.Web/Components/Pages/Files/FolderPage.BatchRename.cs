using FileVault.Core.Operations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// Batch rename of the selected entries: the toolbar button, and F2 when more than one entry is selected. The dialog
/// only asks Core to queue the batch (checked whole first); the job runner renames, and its events bring the toast and
/// the list's reload, as for a move or a copy.
/// </summary>
public partial class FolderPage
{
    [Inject] private BatchRenameOperations BatchRenames { get; set; } = default!;

    private bool CanBatchRename => _canWrite && _selectionCount > 1;

    private async Task BatchRenameAsync()
    {
        if (_folderId is not { } folderId || _subject is not { } subject || _list is null)
        {
            return;
        }

        var items = await _list.SelectedItemsAsync();
        if (items.Count == 0)
        {
            return;
        }

        var ids = items.Select(i => i.Id).ToList();
        var parameters = new DialogParameters<BatchRenameDialog>
        {
            { d => d.Items, items },
            { d => d.Submit, (rule, key) => BatchRenames.RequestBatchRenameAsync(subject, folderId, rule, ids, key, CancellationToken.None) },
        };
        var options = new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true };
        var dialog = await Dialogs.ShowAsync<BatchRenameDialog>(L["BatchRename_Title", items.Count], parameters, options);
        if (await dialog.Result is { Canceled: false, Data: long jobId })
        {
            Snackbar.Add(L["BatchRename_Started", items.Count], Severity.Info);
            await WatchAsync(jobId);
        }
    }
}
