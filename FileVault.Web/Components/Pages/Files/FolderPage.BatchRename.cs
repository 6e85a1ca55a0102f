using FileVault.Core.Operations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>Batch rename of the selected entries: the toolbar button, and F2 when more than one entry is selected.</summary>
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
            { d => d.Submit, (rule, key) => BatchRenames.BatchRenameAsync(subject, folderId, rule, ids, key, CancellationToken.None) },
        };
        var options = new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true };
        var dialog = await Dialogs.ShowAsync<BatchRenameDialog>(L["BatchRename_Title", items.Count], parameters, options);
        if (await dialog.Result is not { Canceled: false, Data: BatchRenameSummary summary })
        {
            return;
        }

        if (summary.Failed.Count == 0)
        {
            Snackbar.Add(L["BatchRename_Done", summary.Renamed], Severity.Success);
        }
        else
        {
            var names = string.Join(", ", summary.Failed.Take(5).Select(f => f.Name)) + (summary.Failed.Count > 5 ? ", …" : "");
            Snackbar.Add(L["BatchRename_Partial", summary.Renamed, summary.Failed.Count, names], Severity.Warning);
        }

        await _list.RefreshAsync();
    }
}
