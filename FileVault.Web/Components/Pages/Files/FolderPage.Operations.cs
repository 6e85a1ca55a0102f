using FileVault.Core.Browsing;
using FileVault.Core;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// Move, copy and delete of the selection — from the toolbar, the context menu, the Delete key and drag and drop. Each
/// becomes a job in Core; the list reloads when a job started here finishes (the toast comes from the layout).
/// </summary>
public partial class FolderPage : IDisposable
{
    private readonly HashSet<long> _watchedJobs = [];
    private EntryContextMenu? _contextMenu;

    [Inject] private FileOperations FileOperations { get; set; } = default!;
    [Inject] private JobEvents JobEvents { get; set; } = default!;
    [Inject] private JobLedger Jobs { get; set; } = default!;

    private bool HasSelection => _selectionCount > 0;

    protected override void OnInitialized() => JobEvents.Changed += OnJobChanged;

    private Task OpenContextMenuAsync(MouseEventArgs e) => _contextMenu?.OpenAsync(e) ?? Task.CompletedTask;

    private async Task OpenSelectedAsync()
    {
        if (_list is not null && await _list.SelectedItemsAsync() is [var item])
        {
            OpenAsync(item);
        }
    }

    private async Task RenameSelectedAsync()
    {
        if (_list is not null && await _list.SelectedItemsAsync() is [var first, ..])
        {
            await RenameAsync(first);
        }
    }

    private Task MoveSelectionAsync() => TransferSelectionAsync(TransferKind.Move);

    private Task CopySelectionAsync() => TransferSelectionAsync(TransferKind.Copy);

    private async Task TransferSelectionAsync(TransferKind kind)
    {
        if (_list is null || _subject is null)
        {
            return;
        }

        var items = await _list.SelectedItemsAsync();
        if (items.Count == 0)
        {
            return;
        }

        var parameters = new DialogParameters<FolderPickerDialog>
        {
            { d => d.Subject, _subject },
            { d => d.Title, L[kind == TransferKind.Move ? "Transfer_MoveTitle" : "Transfer_CopyTitle", items.Count].Value },
            { d => d.ConfirmText, L[kind == TransferKind.Move ? "Transfer_MoveHere" : "Transfer_CopyHere"].Value },
            { d => d.StartRootId, RootId },
            { d => d.StartPath, Path ?? "" },
            { d => d.Excluded, items.Where(i => i.Kind == EntryKind.Directory).Select(i => i.Id).ToHashSet() },
        };
        var picked = await (await Dialogs.ShowAsync<FolderPickerDialog>(null, parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true })).Result;
        if (picked is { Canceled: false, Data: long destination })
        {
            await TransferAsync(kind, items, destination);
        }
    }

    private Task DropIntoAsync((IReadOnlyList<BrowseItem> Items, BrowseItem Folder) drop) =>
        drop.Items.Count == 0 ? Task.CompletedTask : TransferAsync(TransferKind.Move, drop.Items, drop.Folder.Id);

    private async Task TransferAsync(TransferKind kind, IReadOnlyList<BrowseItem> items, long destination)
    {
        if (_subject is not { } subject)
        {
            return;
        }

        // One key per request, kept across the conflict question: a double submit is one job (R-OP-7).
        var key = Guid.NewGuid().ToString("N");
        var ids = items.Select(i => i.Id).ToList();
        var result = await Dialogs.SendAsync(L["Conflict_Title"],
            choice => FileOperations.TransferAsync(subject, kind, ids, destination, choice, key, CancellationToken.None),
            () => FileOperations.FindConflictsAsync(subject, ids, destination, CancellationToken.None));
        if (result is not { } sent)
        {
            return;
        }

        if (!sent.IsSuccess)
        {
            Snackbar.Add(L.Describe(sent.Error!), Severity.Warning);
            return;
        }

        Snackbar.Add(L[kind == TransferKind.Move ? "Transfer_Moving" : "Transfer_Copying", items.Count], Severity.Info);
        await WatchAsync(sent.Value);
    }

    private async Task DeleteSelectionAsync()
    {
        if (_list is null || _subject is not { } subject)
        {
            return;
        }

        var items = await _list.SelectedItemsAsync();
        if (items.Count == 0)
        {
            return;
        }

        var what = items.Count == 1 ? L["Delete_ConfirmOne", items[0].Name] : L["Delete_ConfirmMany", items.Count];
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Delete_Title"], what.Value, yesText: L["Delete_Yes"], cancelText: L["Files_Cancel"]);
        if (confirmed != true)
        {
            return;
        }

        var result = await FileOperations.DeleteAsync(subject, items.Select(i => i.Id).ToList(), Guid.NewGuid().ToString("N"), CancellationToken.None);
        if (!result.IsSuccess)
        {
            Snackbar.Add(L.Describe(result.Error!), Severity.Warning);
            return;
        }

        Snackbar.Add(L["Delete_Started", items.Count], Severity.Info);
        await WatchAsync(result.Value);
    }

    private async Task WatchAsync(long jobId)
    {
        _watchedJobs.Add(jobId);
        // It may have finished before we started watching.
        if (await Jobs.GetAsync(jobId, CancellationToken.None) is { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled })
        {
            await JobFinishedAsync(jobId);
        }
    }

    private void OnJobChanged(JobEvent change)
    {
        if (change.IsFinished && _watchedJobs.Contains(change.Id))
        {
            _ = InvokeAsync(() => JobFinishedAsync(change.Id));
        }
    }

    private async Task JobFinishedAsync(long jobId)
    {
        if (!_watchedJobs.Remove(jobId) || _list is null)
        {
            return;
        }

        await _list.ClearSelectionAsync();
        await _list.RefreshAsync();
        _treeVersion++;
    }

    public void Dispose()
    {
        JobEvents.Changed -= OnJobChanged;
        StopWatching();
        GC.SuppressFinalize(this);
    }
}
