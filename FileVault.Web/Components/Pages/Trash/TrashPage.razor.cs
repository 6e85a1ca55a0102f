using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using FileVault.Web.Account;
using FileVault.Web.Components.Pages.Files;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Trash;

/// <summary>
/// The trash: the actor's deleted items (an admin's: everyone's), a page at a time. Restore and purge start jobs; the
/// list follows their ends live. Core decides who may do what; the page only hides what it would refuse.
/// </summary>
public partial class TrashPage
{
    private const int PageSize = 50;

    private AccessSubject _actor = default!;
    private TrashListing? _listing;
    private HashSet<TrashListItem> _selected = [];
    private CircuitCulture _culture;
    private string? _filter;
    private int _pageIndex;
    private bool _loading;
    private bool _busy;

    [Inject] private TrashQueries Trash { get; set; } = default!;
    [Inject] private TrashOperations Operations { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private IOptions<TrashOptions> Options { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private int RetentionDays => Options.Value.RetentionDays;

    private int PageCount => _listing is null ? 0 : PageCountOf(_listing.Total);

    protected override async Task OnInitializedAsync()
    {
        _actor = await AuthenticationState.ActorAsync();
        _culture = CircuitCulture.Capture();
        Events.Changed += OnJobChanged;
        await LoadAsync();
    }

    public void Dispose()
    {
        Events.Changed -= OnJobChanged;
        GC.SuppressFinalize(this);
    }

    private async Task LoadAsync()
    {
        _loading = true;
        var page = await Trash.PageAsync(_actor, new TrashQuery(_filter, _pageIndex * PageSize, PageSize), CancellationToken.None);
        if (page.IsSuccess && page.Value.Items.Count == 0 && _pageIndex > 0)
        {
            // The last page emptied (restored, purged): show the one before.
            _pageIndex = Math.Max(0, PageCountOf(page.Value.Total) - 1);
            page = await Trash.PageAsync(_actor, new TrashQuery(_filter, _pageIndex * PageSize, PageSize), CancellationToken.None);
        }

        _loading = false;
        if (!page.IsSuccess)
        {
            Snackbar.Add(L.ErrorText(page.Error!), Severity.Error);
            return;
        }

        // A reload (another job ended) keeps what is still there selected.
        var selected = _selected.Select(i => i.Id).ToHashSet();
        _listing = page.Value;
        _selected = _listing.Items.Where(i => selected.Contains(i.Id)).ToHashSet();
    }

    private static int PageCountOf(int total) => (total + PageSize - 1) / PageSize;

    private async Task FilterAsync(string? text)
    {
        _filter = text;
        _pageIndex = 0;
        await LoadAsync();
    }

    private async Task PageAsync(int page)
    {
        _pageIndex = page - 1;
        await LoadAsync();
    }

    private async Task RestoreAsync()
    {
        var ids = _selected.Select(i => i.Id).ToList();
        var key = "trash-restore:" + Guid.NewGuid().ToString("N");
        await RunAsync(async () =>
        {
            var started = await Dialogs.SendAsync(L["Conflict_Title"],
                choice => Operations.RestoreAsync(_actor, ids, choice, key, CancellationToken.None),
                () => Operations.FindRestoreConflictsAsync(_actor, ids, CancellationToken.None));
            if (started is null)
            {
                return null;
            }

            return Started(started.Value, L["Trash_Restoring", ids.Count]);
        });
    }

    private async Task PurgeAsync()
    {
        var names = _selected.OrderByDescending(i => i.DeletedAt).Select(i => $"\"{i.Name}\"").ToList();
        var listed = string.Join(", ", names.Take(5)) + (names.Count > 5 ? " " + L["Trash_AndMore", names.Count - 5] : "");
        if (await ConfirmAsync(L["Trash_Purge"], L["Trash_PurgeConfirm", names.Count, listed], L["Trash_Purge"]))
        {
            var ids = _selected.Select(i => i.Id).ToList();
            await RunAsync(async () => Started(await Operations.PurgeAsync(_actor, ids, CancellationToken.None), L["Trash_Purging", ids.Count]));
        }
    }

    private async Task EmptyAsync()
    {
        // The whole trash goes, not only what the filter shows: count it all.
        var all = await Trash.PageAsync(_actor, new TrashQuery(Take: 1), CancellationToken.None);
        var total = all.IsSuccess ? all.Value.Total : _listing?.Total ?? 0;
        var text = _actor.IsAdministrator ? L["Trash_EmptyConfirmAdmin", total] : L["Trash_EmptyConfirm", total];
        if (await ConfirmAsync(L["Trash_EmptyAll"], text, L["Trash_EmptyAll"]))
        {
            await RunAsync(async () => Started(await Operations.PurgeAsync(_actor, null, CancellationToken.None), L["Trash_Purging", total]));
        }
    }

    private async Task<bool> ConfirmAsync(string title, string text, string yes) =>
        await Dialogs.ShowMessageBoxAsync(title, text, yesText: yes, cancelText: L["Common_Cancel"]) == true;

    /// <summary>One request at a time from this page; a refusal becomes a snackbar.</summary>
    private async Task RunAsync(Func<Task<Error?>> request)
    {
        _busy = true;
        try
        {
            if (await request() is { } error)
            {
                Snackbar.Add(L.ErrorText(error), Severity.Error);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private Error? Started(Result<IReadOnlyList<long>> jobs, string message)
    {
        if (!jobs.IsSuccess)
        {
            return jobs.Error;
        }

        // The layout's job toasts tell when they end.
        Snackbar.Add(message, Severity.Info);
        return null;
    }

    // Raised on a thread-pool thread: everything happens on the circuit's.
    private void OnJobChanged(JobEvent change)
    {
        if (change.IsFinished && (change.Type is "delete" or "restore" or "purge") && (change.OwnerId == _actor.UserId || _actor.IsAdministrator))
        {
            _ = InvokeAsync(JobFinishedAsync);
        }
    }

    private async Task JobFinishedAsync()
    {
        // The event's thread carried its own culture here: render in the circuit's.
        _culture.Apply();
        await LoadAsync();
        StateHasChanged();
    }
}
