using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// The folder page's writes: new folder, rename, batch rename, move, copy, compress and delete. Each asks what it needs
/// in a dialog (a name, a destination, a conflict choice, a confirmation), has Core check it and queue a job, and tells
/// the page through <see cref="OnFinished"/> when a job it queued has ended, so the list reloads; the toast comes from
/// the layout (JobToasts), as for every job.
/// </summary>
public sealed partial class FolderActions : IDisposable
{
    private readonly HashSet<long> _watched = [];

    [Parameter, EditorRequired] public AccessSubject Subject { get; set; } = default!;

    [Parameter, EditorRequired] public OpenFolder Folder { get; set; } = default!;

    /// <summary>A job queued here has ended (succeeded, failed or cancelled).</summary>
    [Parameter] public EventCallback OnFinished { get; set; }

    [Inject] private EntryOperations Entries { get; set; } = default!;
    [Inject] private BatchRenameOperations BatchRenames { get; set; } = default!;
    [Inject] private FileOperations Files { get; set; } = default!;
    [Inject] private CompressOperations Compressions { get; set; } = default!;
    [Inject] private JobEvents JobEvents { get; set; } = default!;
    [Inject] private JobLedger Jobs { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    protected override void OnInitialized() => JobEvents.Changed += OnJobChanged;

    public Task NewFolderAsync()
    {
        var subject = Subject;
        var parent = Folder.Id;
        var parameters = new DialogParameters<NameDialog>
        {
            { d => d.ConfirmText, L["Files_Create"].Value },
            { d => d.Submit, (name, key) => Entries.RequestCreateFolderAsync(subject, parent, name, key, CancellationToken.None) },
        };
        return AskNameAsync(L["Files_NewFolder"], parameters);
    }

    public Task RenameAsync(BrowseItem item)
    {
        var subject = Subject;
        var parameters = new DialogParameters<NameDialog>
        {
            { d => d.InitialName, item.Name },
            { d => d.ConfirmText, L["Files_Save"].Value },
            // The same name again changes nothing: the dialog just closes.
            { d => d.Submit, (name, key) => name.Normalize(System.Text.NormalizationForm.FormC) == item.Name
                ? Task.FromResult(Result<long>.Success(0))
                : Entries.RequestRenameAsync(subject, item.Id, name, key, CancellationToken.None) },
        };
        return AskNameAsync(L["Files_Rename"], parameters);
    }

    /// <summary>The batch is checked whole and queued from the dialog; the runner renames, and its events say when it is done.</summary>
    public async Task BatchRenameAsync(IReadOnlyList<BrowseItem> items)
    {
        var subject = Subject;
        var folderId = Folder.Id;
        var ids = items.Select(i => i.Id).ToList();
        var parameters = new DialogParameters<BatchRenameDialog>
        {
            { d => d.Items, items },
            { d => d.Submit, (rule, key) => BatchRenames.RequestBatchRenameAsync(subject, folderId, rule, ids, key, CancellationToken.None) },
        };
        var options = new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true };
        var dialog = await Dialogs.ShowAsync<BatchRenameDialog>(L["BatchRename_Title", items.Count], parameters, options);
        if (await dialog.Result is { Canceled: false, Data: long job })
        {
            Snackbar.Add(L["BatchRename_Started", items.Count], Severity.Info);
            await WatchAsync(job);
        }
    }

    /// <summary>Move or copy: the destination from the folder picker.</summary>
    public async Task TransferAsync(TransferKind kind, IReadOnlyList<BrowseItem> items)
    {
        var parameters = new DialogParameters<FolderPickerDialog>
        {
            { d => d.Subject, Subject },
            { d => d.Title, L[kind == TransferKind.Move ? "Transfer_MoveTitle" : "Transfer_CopyTitle", items.Count].Value },
            { d => d.ConfirmText, L[kind == TransferKind.Move ? "Transfer_MoveHere" : "Transfer_CopyHere"].Value },
            { d => d.StartRootId, Folder.RootId },
            { d => d.StartPath, Folder.Path },
            { d => d.Excluded, items.Where(i => i.Kind == EntryKind.Directory).Select(i => i.Id).ToHashSet() },
        };
        var picked = await (await Dialogs.ShowAsync<FolderPickerDialog>(null, parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true })).Result;
        if (picked is { Canceled: false, Data: long destination })
        {
            await TransferAsync(kind, items, destination);
        }
    }

    /// <summary>Move or copy into a known folder (a drop on a folder row).</summary>
    public async Task TransferAsync(TransferKind kind, IReadOnlyList<BrowseItem> items, long destination)
    {
        var subject = Subject;
        // One key per request, kept across the conflict question: a double submit is one job (R-OP-7).
        var key = Guid.NewGuid().ToString("N");
        var ids = items.Select(i => i.Id).ToList();
        var result = await Dialogs.SendAsync(L["Conflict_Title"],
            choice => Files.TransferAsync(subject, kind, ids, destination, choice, key, CancellationToken.None),
            () => Files.FindConflictsAsync(subject, ids, destination, CancellationToken.None));
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

    public async Task DeleteAsync(IReadOnlyList<BrowseItem> items)
    {
        var what = items.Count == 1 ? L["Delete_ConfirmOne", items[0].Name] : L["Delete_ConfirmMany", items.Count];
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Delete_Title"], what.Value, yesText: L["Delete_Yes"], cancelText: L["Files_Cancel"]);
        if (confirmed != true)
        {
            return;
        }

        var result = await Files.DeleteAsync(Subject, items.Select(i => i.Id).ToList(), Guid.NewGuid().ToString("N"), CancellationToken.None);
        if (!result.IsSuccess)
        {
            Snackbar.Add(L.Describe(result.Error!), Severity.Warning);
            return;
        }

        Snackbar.Add(L["Delete_Started", items.Count], Severity.Info);
        await WatchAsync(result.Value);
    }

    /// <summary>Compress into a .zip in this folder: a name (the default proposed), a conflict question if it is taken, then a job.</summary>
    public async Task CompressAsync(IReadOnlyList<BrowseItem> items)
    {
        var subject = Subject;
        var ids = items.Select(i => i.Id).ToList();
        var proposed = items.Count == 1 ? items[0].Name + ".zip" : Folder.Path.Length == 0 ? CompressOperations.DefaultArchiveName : Folder.Name + ".zip";
        var parameters = new DialogParameters<NameDialog>
        {
            { d => d.InitialName, proposed },
            { d => d.ConfirmText, L["Compress_Confirm"].Value },
            { d => d.Submit, (name, key) => CompressAsync(subject, ids, name, key) },
        };
        var dialog = await Dialogs.ShowAsync<NameDialog>(L["Compress_Title", items.Count], parameters);
        if (await dialog.Result is { Canceled: false, Data: long job })
        {
            Snackbar.Add(L["Compress_Started", items.Count], Severity.Info);
            await WatchAsync(job);
        }
    }

    // A taken name asks skip / keep both / replace; a refused name stays in the dialog with its reason.
    private async Task<Result<long>> CompressAsync(AccessSubject subject, IReadOnlyList<long> ids, string name, string key)
    {
        IReadOnlyList<string> taken = [name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? name : name + ".zip"];
        var result = await Dialogs.SendAsync(L["Conflict_Title"],
            choice => Compressions.CompressAsync(subject, ids, name, choice, key, CancellationToken.None),
            () => Task.FromResult(Result<IReadOnlyList<string>>.Success(taken)));
        // Closing the question leaves the name dialog open, with the conflict said.
        return result ?? new Error("name.conflict", $"\"{taken[0]}\" already exists in this folder.");
    }

    /// <summary>The name dialog queues the job (a refused name keeps it open with the reason); a job id of 0 means nothing was to be done.</summary>
    private async Task AskNameAsync(string title, DialogParameters<NameDialog> parameters)
    {
        if (await (await Dialogs.ShowAsync<NameDialog>(title, parameters)).Result is { Canceled: false, Data: long job and > 0 })
        {
            await WatchAsync(job);
        }
    }

    private async Task WatchAsync(long jobId)
    {
        _watched.Add(jobId);
        // It may have finished before we started watching.
        if (await Jobs.GetAsync(jobId, CancellationToken.None) is { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled })
        {
            await FinishedAsync(jobId);
        }
    }

    private void OnJobChanged(JobEvent change)
    {
        if (change.IsFinished && _watched.Contains(change.Id))
        {
            _ = InvokeAsync(() => FinishedAsync(change.Id));
        }
    }

    private async Task FinishedAsync(long jobId)
    {
        if (_watched.Remove(jobId))
        {
            await OnFinished.InvokeAsync();
        }
    }

    public void Dispose() => JobEvents.Changed -= OnJobChanged;
}
