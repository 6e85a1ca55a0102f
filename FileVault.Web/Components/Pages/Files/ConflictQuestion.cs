using FileVault.Core;
using FileVault.Core.Operations;
using MudBlazor;
using FileVault.Core.Jobs;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// The "name already taken" round trip every operation with a destination makes: send with <see cref="ConflictChoice.Ask"/>;
/// on <c>name.conflict</c> show the taken names (skip, keep both, replace) and send again with the answer.
/// </summary>
public static class ConflictQuestion
{
    /// <summary>The request's result after the question if one was needed; null when the user closed the question.</summary>
    public static async Task<Result<T>?> SendAsync<T>(
        this IDialogService dialogs, string title, Func<ConflictChoice, Task<Result<T>>> send, Func<Task<Result<IReadOnlyList<string>>>> takenNames)
    {
        var result = await send(ConflictChoice.Ask);
        if (result.Error is not { Code: "name.conflict" })
        {
            return result;
        }

        var names = await takenNames();
        if (!names.IsSuccess)
        {
            return names.Error!;
        }

        var dialog = await dialogs.ShowAsync<ConflictDialog>(title, new DialogParameters<ConflictDialog> { { d => d.Names, names.Value } },
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: ConflictChoice choice })
        {
            return await send(choice);
        }

        return null;
    }
}
