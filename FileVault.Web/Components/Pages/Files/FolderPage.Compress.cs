using FileVault.Core;
using FileVault.Core.Operations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>Compress the selection into a .zip in this folder: a name (the default proposed), a conflict question if it is taken, then a job.</summary>
public partial class FolderPage
{
    [Inject] private CompressOperations Compressions { get; set; } = default!;

    private async Task CompressSelectionAsync()
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

        var ids = items.Select(i => i.Id).ToList();
        var proposed = items.Count == 1 ? items[0].Name + ".zip" : string.IsNullOrEmpty(Path) ? CompressOperations.DefaultArchiveName : _folderName + ".zip";
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
    private async Task<Result<long>> CompressAsync(Core.Access.AccessSubject subject, IReadOnlyList<long> ids, string name, string key)
    {
        IReadOnlyList<string> taken = [name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? name : name + ".zip"];
        var result = await Dialogs.SendAsync(L["Conflict_Title"],
            choice => Compressions.CompressAsync(subject, ids, name, choice, key, CancellationToken.None),
            () => Task.FromResult(Result<IReadOnlyList<string>>.Success(taken)));
        // Closing the question leaves the name dialog open, with the conflict said.
        return result ?? new Error("name.conflict", $"\"{taken[0]}\" already exists in this folder.");
    }
}
