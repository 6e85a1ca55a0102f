using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Duplicates;
using FileVault.Core.Jobs;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Core.Storage;
using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Admin.Duplicates;

/// <summary>
/// Duplicate files: start a search (a job; its progress shows live), read the groups by reclaimable bytes, filter them
/// by root, folder and type, and resolve one by keeping a copy (the others go to the trash through delete jobs).
/// </summary>
public partial class DuplicatesPage
{
    private const int PageSize = 25;

    private AccessSubject _actor = default!;
    private CircuitCulture _culture;
    private DuplicateScanStatus? _last;
    private DuplicatePage? _page;
    private IReadOnlyList<StorageRootSummary> _roots = [];
    private int? _rootId;
    private string? _folder;
    private FileType? _type;
    private int _pageIndex;
    private bool _busy;

    [Inject] private DuplicateScans Scans { get; set; } = default!;
    [Inject] private DuplicateReport Report { get; set; } = default!;
    [Inject] private StorageRootQueries RootQueries { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private UserTimeZone TimeZone { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private bool IsRunning => _last is { Status: JobStatus.Queued or JobStatus.Running or JobStatus.Interrupted };

    private int PageCount => _page is null ? 0 : (_page.Total + PageSize - 1) / PageSize;

    protected override async Task OnInitializedAsync()
    {
        _actor = await AuthenticationState.ActorAsync();
        _culture = CircuitCulture.Capture();
        await TimeZone.ResolveAsync();
        Events.Changed += OnJobChanged;
        var roots = await RootQueries.ListAsync(_actor, CancellationToken.None);
        _roots = roots.IsSuccess ? roots.Value : [];
        await LoadStatusAsync();
        await LoadAsync();
    }

    public void Dispose()
    {
        Events.Changed -= OnJobChanged;
        GC.SuppressFinalize(this);
    }

    private async Task LoadStatusAsync()
    {
        var last = await Scans.LastAsync(_actor, CancellationToken.None);
        _last = last.IsSuccess ? last.Value : null;
    }

    private async Task LoadAsync()
    {
        var page = await Report.PageAsync(_actor, new DuplicateFilter(_rootId, _rootId is null ? null : _folder, _type, _pageIndex * PageSize, PageSize), CancellationToken.None);
        if (!page.IsSuccess)
        {
            Snackbar.Add(L.ErrorText(page.Error!), Severity.Error);
            _page = new DuplicatePage([], 0, 0);
            return;
        }

        _page = page.Value;
    }

    private async Task FindAsync()
    {
        var queued = await Scans.RequestAsync(_actor, CancellationToken.None);
        if (!queued.IsSuccess)
        {
            Snackbar.Add(L.ErrorText(queued.Error!), Severity.Error);
            return;
        }

        Snackbar.Add(L["Duplicates_Queued"], Severity.Info);
        await LoadStatusAsync();
    }

    private async Task ApplyFilterAsync()
    {
        _pageIndex = 0;
        await LoadAsync();
    }

    private async Task GoToAsync(int page)
    {
        _pageIndex = page - 1;
        await LoadAsync();
    }

    private async Task KeepAsync(DuplicateFile file)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Duplicates_ConfirmTitle"], L["Duplicates_ConfirmText", file.Path].Value,
            yesText: L["Duplicates_ConfirmYes"], cancelText: L["Common_Cancel"]);
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        try
        {
            var resolved = await Report.ResolveAsync(_actor, file.EntryId, "dedup-keep-" + Guid.NewGuid().ToString("N"), CancellationToken.None);
            if (!resolved.IsSuccess)
            {
                Snackbar.Add(L.ErrorText(resolved.Error!), Severity.Warning);
                return;
            }

            Snackbar.Add(L["Duplicates_Resolved"], Severity.Success);
        }
        finally
        {
            _busy = false;
        }
    }

    // Raised on a job's thread: the search's progress, and the delete jobs a resolution started, change this page.
    private void OnJobChanged(JobEvent change)
    {
        if (change.Type is not (DuplicateScans.JobType or "delete" or "restore"))
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            _culture.Apply();
            if (change.Type == DuplicateScans.JobType && !change.IsFinished && _last is not null && _last.JobId == change.Id)
            {
                _last = _last with { Status = change.Status, Progress = change.Progress, ProgressText = change.Text };
            }
            else
            {
                await LoadStatusAsync();
                if (change.IsFinished)
                {
                    await LoadAsync();
                }
            }

            StateHasChanged();
        });
    }
}
