using FileVault.Core;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Admin.Storage;

/// <summary>Roots, their health, manual scans with live progress, and decisions on held-back scans.</summary>
public partial class StoragePage
{
    private IReadOnlyList<RootStatus>? _roots;
    private IReadOnlyList<ScanRunSummary> _runs = [];
    private IReadOnlyList<ScanProgressSnapshot> _running = [];
    private PeriodicTimer? _timer;
    private CancellationTokenSource? _disposed;
    private CircuitCulture _culture;

    [Inject] private ScanQueries Queries { get; set; } = default!;
    [Inject] private ScanLauncher Launcher { get; set; } = default!;
    [Inject] private ScanMonitor Monitor { get; set; } = default!;
    [Inject] private HeldMissingReview Review { get; set; } = default!;
    [Inject] private RootHealthService Health { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _disposed = new CancellationTokenSource();
        _culture = CircuitCulture.Capture();
        Monitor.Changed += OnScansChanged;
        await ReloadAsync();
        _ = PollProgressAsync(_disposed.Token);
    }

    private async Task ReloadAsync()
    {
        var actor = await AuthenticationState.ActorAsync();
        _running = OrEmpty(Monitor.RunningFor(actor));
        _roots = OrEmpty(await Queries.RootsAsync(actor, CancellationToken.None));
        _runs = OrEmpty(await Queries.RecentRunsAsync(actor, 20, CancellationToken.None));
    }

    // Core refuses a user who lost the Admin role while this page was open; the page then shows nothing rather than fail.
    private static IReadOnlyList<T> OrEmpty<T>(Result<IReadOnlyList<T>> result) => result.IsSuccess ? result.Value : [];

    /// <summary>Counters of running scans live in memory; refresh them twice a second while the page is open.</summary>
    private async Task PollProgressAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        var actor = await AuthenticationState.ActorAsync();
        try
        {
            while (await _timer.WaitForNextTickAsync(cancellationToken))
            {
                var running = OrEmpty(Monitor.RunningFor(actor));
                if (_running.Count > 0 || running.Count > 0)
                {
                    _running = running;
                    await InvokeAsync(StateHasChanged);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
    }

    // Raised on the scanner's thread: render in this circuit's culture, not that thread's.
    private void OnScansChanged() => _ = InvokeAsync(async () =>
    {
        _culture.Apply();
        await ReloadAsync();
        StateHasChanged();
    });

    private async Task StartAsync((int RootId, ScanKind Kind) request)
    {
        var result = await Launcher.StartAsync(await AuthenticationState.ActorAsync(), request.RootId, request.Kind, CancellationToken.None);
        Report(result.Error, "Storage_Queued");
    }

    private async Task Cancel(int rootId) =>
        Report((await Launcher.CancelAsync(await AuthenticationState.ActorAsync(), rootId, CancellationToken.None)).Error, "Storage_Cancelled");

    private async Task CheckHealthAsync()
    {
        var checkedRoots = await Health.CheckAllAsync(await AuthenticationState.ActorAsync(), CancellationToken.None);
        await ReloadAsync();
        if (checkedRoots.IsSuccess)
        {
            Snackbar.Add(L["Storage_HealthChecked"], Severity.Info);
        }
        else
        {
            Snackbar.Add(L.Describe(checkedRoots.Error!), Severity.Warning);
        }
    }

    private async Task RegisterAsync()
    {
        var dialog = await Dialogs.ShowAsync<RegisterRootDialog>(L["Storage_Register"]);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add(L["Storage_Registered"], Severity.Success);
            await ReloadAsync();
        }
    }

    private async Task ConfirmAsync(ScanRunSummary run)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            string.Format(System.Globalization.CultureInfo.CurrentCulture, L["Storage_ConfirmTitle"], run.HeldMissing),
            L["Storage_ConfirmText"], yesText: L["Storage_Confirm"], cancelText: L["Storage_Close"]);
        if (confirmed == true)
        {
            Report((await Review.ConfirmAsync(await AuthenticationState.ActorAsync(), run.Id, CancellationToken.None)).Error, "Storage_Done");
            await ReloadAsync();
        }
    }

    private async Task DismissAsync(ScanRunSummary run)
    {
        Report((await Review.DismissAsync(await AuthenticationState.ActorAsync(), run.Id, CancellationToken.None)).Error, "Storage_Done");
        await ReloadAsync();
    }

    private async Task ShowErrorsAsync(ScanRunSummary run)
    {
        var errors = await Queries.ErrorsAsync(await AuthenticationState.ActorAsync(), run.Id, 200, CancellationToken.None);
        if (!errors.IsSuccess)
        {
            Report(errors.Error, "Storage_Done");
            return;
        }

        var parameters = new DialogParameters<ScanErrorsDialog> { { d => d.Errors, errors.Value } };
        await Dialogs.ShowAsync<ScanErrorsDialog>(string.Format(System.Globalization.CultureInfo.CurrentCulture, L["Storage_ErrorsOf"], run.Id),
            parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseButton = true });
    }

    private void Report(Error? error, string successKey)
    {
        if (error is null)
        {
            Snackbar.Add(L[successKey], Severity.Success);
        }
        else
        {
            Snackbar.Add(L.Describe(error), Severity.Warning);
        }
    }

    public void Dispose()
    {
        Monitor.Changed -= OnScansChanged;
        _disposed?.Cancel();
        _disposed?.Dispose();
        _timer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
