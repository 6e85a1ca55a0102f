using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Operations;
using FileVault.Core.Uploads;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;
using FileVault.Core.Jobs;

namespace FileVault.Web.Components.Uploads;

/// <summary>One file of the upload panel, as the browser reports it (js/uploads.js holds the file and sends it).</summary>
/// <param name="Status">queued, uploading, paused, done, failed, canceled; waiting when an earlier page left it unfinished
/// and the browser needs the file again.</param>
/// <param name="Error">The server's ProblemDetails code of a failure (or "network").</param>
/// <param name="Speed">Bytes a second, smoothed.</param>
public sealed record UploadItem(string Id, long FolderId, string Path, string Name, long Size, long Sent, string Status, string? Error, long Speed, bool HasFile)
{
    public bool IsActive => Status is "queued" or "uploading";

    public bool IsFinished => Status is "done" or "canceled";
}

/// <summary>
/// What the browser does with the relative paths whose names are taken: skip them, send them under a free name
/// (<paramref name="Rename"/>: path → path with the last name changed), or send them to replace what is there.
/// </summary>
public sealed record UploadAnswer(IReadOnlyList<string> Skip, IReadOnlyDictionary<string, string> Rename, IReadOnlyList<string> Replace);

/// <summary>A path of a drop whose name is taken or unavailable at the destination; replace offered when the preflight allows it.</summary>
public sealed record UploadConflict(string Path, bool Replaceable);

/// <summary>
/// The user's uploads in this circuit, for the panel in the layout (so they go on while the user moves between folders):
/// the list the browser reports, the commands the panel sends back, and the questions the browser asks before it sends
/// a byte (taken names, empty folders), answered by Core as the acting user.
/// </summary>
public sealed class UploadSession(
    UploadPlanner planner,
    IDialogService dialogs,
    ISnackbar snackbar,
    IStringLocalizer<SharedResource> localizer,
    AuthenticationStateProvider authentication,
    IJSRuntime js) : IAsyncDisposable
{
    private readonly List<UploadItem> _items = [];
    private readonly Dictionary<string, List<UploadPathAnswer>> _plans = [];
    private DotNetObjectReference<UploadSession>? _self;
    private IJSObjectReference? _module;
    private Task? _started;

    /// <summary>The list changed: the panel renders again.</summary>
    public event Action? Changed;

    public IReadOnlyList<UploadItem> Items => _items;

    /// <summary>The largest file the server takes (its Tus-Max-Size); null until the browser has asked.</summary>
    public long? MaxFileBytes { get; private set; }

    public UploadLimits? Limits { get; private set; }

    /// <summary>Loads the browser side once per circuit; it lists the uploads an earlier page left unfinished.</summary>
    public Task StartAsync() => _started ??= StartCoreAsync();

    private async Task StartCoreAsync()
    {
        _self = DotNetObjectReference.Create(this);
        _module = await js.InvokeAsync<IJSObjectReference>("import", "./js/uploads.js");
        var max = await _module.InvokeAsync<long>("init", _self);
        MaxFileBytes = max < 0 ? null : max;
        await RefreshLimitsAsync();
    }

    /// <summary>The folder's list takes drops (onto it or a subfolder row) and its inputs' picks into <paramref name="folderId"/>; null: none.</summary>
    public async Task AttachAsync(ElementReference element, long? folderId)
    {
        await StartAsync();
        await _module!.InvokeVoidAsync("attach", element, folderId);
    }

    public Task PauseAsync(string id) => CallAsync("pause", id);

    public Task ResumeAsync(string id) => CallAsync("resume", id);

    public Task CancelAsync(string id) => CallAsync("cancel", id);

    public Task PauseAllAsync() => CallAsync("pauseAll");

    public Task ResumeAllAsync() => CallAsync("resumeAll");

    public Task CancelAllAsync() => CallAsync("cancelAll");

    /// <summary>Takes the finished, canceled and failed files off the list.</summary>
    public async Task ClearFinishedAsync()
    {
        var gone = _items.Where(i => i.IsFinished || i.Status == "failed").Select(i => i.Id).ToArray();
        _items.RemoveAll(i => gone.Contains(i.Id));
        await CallAsync("clear", [gone]);
        Changed?.Invoke();
    }

    private async Task CallAsync(string function, params object?[] args)
    {
        if (_module is not null)
        {
            await _module.InvokeVoidAsync(function, args);
        }
    }

    [JSInvokable]
    public Task Added(UploadItem[] items) => Updated(items);

    [JSInvokable]
    public async Task Updated(UploadItem[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var finished = false;
        foreach (var item in items)
        {
            var at = _items.FindIndex(i => i.Id == item.Id);
            finished |= item.Status is "done" or "failed" or "canceled" && (at < 0 || _items[at].Status != item.Status);
            if (at < 0)
            {
                _items.Add(item);
            }
            else
            {
                _items[at] = item;
            }
        }

        if (finished)
        {
            await RefreshLimitsAsync();
        }

        Changed?.Invoke();
    }

    /// <summary>One batch of a drop's file paths: those whose names are taken are kept for <see cref="AskAsync"/>.</summary>
    [JSInvokable]
    public async Task CollectTakenAsync(string plan, long folderId, string[] paths)
    {
        if (await ActorAsync() is not { } actor)
        {
            return;
        }

        var taken = await planner.PreflightAsync(actor, folderId, paths, CancellationToken.None);
        if (!taken.IsSuccess)
        {
            return;
        }

        if (!_plans.TryGetValue(plan, out var list))
        {
            _plans[plan] = list = [];
        }

        // Only files are asked about (folders merge); a file's name held by a folder is a conflict like any other, and one
        // held by what the user may not see is asked about without saying what holds it.
        list.AddRange(taken.Value.Where(t => t.State is UploadPathState.Taken or UploadPathState.Unavailable));
    }

    /// <summary>Skip, keep both or replace for the drop's taken names, for all or per file; null when the user cancels the upload.</summary>
    [JSInvokable]
    public async Task<UploadAnswer?> AskAsync(string plan, long folderId)
    {
        var conflicts = _plans.Remove(plan, out var list) ? list.Select(t => new UploadConflict(t.Path, t.Replaceable)).ToList() : [];
        if (conflicts.Count == 0)
        {
            return new UploadAnswer([], new Dictionary<string, string>(), []);
        }

        var dialog = await dialogs.ShowAsync<UploadConflictDialog>(localizer["Upload_ConflictTitle"],
            new DialogParameters<UploadConflictDialog> { { d => d.Conflicts, conflicts } }, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is not { Canceled: false, Data: IReadOnlyDictionary<string, ConflictChoice> choices } || await ActorAsync() is not { } actor)
        {
            return null;
        }

        var skip = new List<string>();
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        var replace = new List<string>();
        foreach (var (path, choice) in choices)
        {
            if (choice == ConflictChoice.Replace)
            {
                replace.Add(path);
            }
            else if (choice == ConflictChoice.KeepBoth && await planner.FreePathAsync(actor, folderId, path, CancellationToken.None) is { IsSuccess: true } free)
            {
                rename[path] = free.Value;
            }
            else
            {
                skip.Add(path);
            }
        }

        return new UploadAnswer(skip, rename, replace);
    }

    /// <summary>The empty folders of a folder upload, made as new folder makes them; a failure is said in a snackbar.</summary>
    [JSInvokable]
    public async Task CreateFoldersAsync(long folderId, string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (await ActorAsync() is not { } actor)
        {
            return;
        }

        foreach (var path in paths)
        {
            var created = await planner.EnsureFolderAsync(actor, folderId, path, CancellationToken.None);
            if (!created.IsSuccess)
            {
                snackbar.Add($"{path}: {localizer.ErrorText(created.Error!)}", Severity.Warning);
            }
        }
    }

    private async Task RefreshLimitsAsync()
    {
        if (await ActorAsync() is { } actor)
        {
            Limits = await planner.LimitsAsync(actor, CancellationToken.None);
        }
    }

    private async Task<AccessSubject?> ActorAsync() => AccessSubject.FromPrincipal((await authentication.GetAuthenticationStateAsync()).User);

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone with the page.
            }
        }

        _self?.Dispose();
    }
}
