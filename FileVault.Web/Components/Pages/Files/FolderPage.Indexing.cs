using FileVault.Core.Scanning;
using Microsoft.AspNetCore.Components;

namespace FileVault.Web.Components.Pages.Files;

/// <summary>
/// A root whose first scan has not committed has no catalog to list. Rather than an empty folder, the page says what is
/// going on: "indexing, N entries so far" while that scan runs (its live count, from here or another instance), or
/// plainly that no scan has run; and it opens the root by itself once the scan commits.
/// </summary>
public partial class FolderPage
{
    /// <summary>How often the indexing count refreshes.</summary>
    public static readonly TimeSpan IndexingPollInterval = TimeSpan.FromSeconds(1);

    // With no scan running, look at the catalog only now and then: a scan on another instance shows up in the
    // monitor anyway, this only catches one that started and finished between two of its reports.
    private const int IdleTicksPerCatalogCheck = 10;

    private bool _awaitingFirstScan;
    private long? _indexedSoFar;
    private Task? _firstScanWatcher;

    [Inject] private ScanMonitor Scans { get; set; } = default!;

    /// <summary>The root opened has no catalog yet: show its first scan's progress, or that none runs, and follow it.</summary>
    private async Task ShowFirstScanAsync()
    {
        // Only someone who may read the root learns that it is being indexed; the others get "not found" as before.
        if (_subject is null || !await Access.CanReadAsync(_subject, RootId, "", CancellationToken.None))
        {
            _error = L["Error_entry.not_found"];
            return;
        }

        _awaitingFirstScan = true;
        _indexedSoFar = Scans.SeenSoFar(RootId);
        _error = _indexedSoFar is null ? L["Files_NotScanned"].Value : null;
        if (_firstScanWatcher is null || _firstScanWatcher.IsCompleted)
        {
            _firstScanWatcher = WatchFirstScanAsync(_watching.Token);
        }
    }

    private void ForgetFirstScan()
    {
        _awaitingFirstScan = false;
        _indexedSoFar = null;
    }

    private async Task WatchFirstScanAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(IndexingPollInterval);
        var idleTicks = 0;
        try
        {
            while (_awaitingFirstScan && await timer.WaitForNextTickAsync(cancellationToken))
            {
                var seen = Scans.SeenSoFar(RootId);
                var scanEnded = seen is null && _indexedSoFar is not null;
                idleTicks = seen is null ? idleTicks + 1 : 0;
                if (seen is not null)
                {
                    if (seen != _indexedSoFar)
                    {
                        await InvokeAsync(() =>
                        {
                            _indexedSoFar = seen;
                            _error = null;
                            StateHasChanged();
                        });
                    }
                }
                else if (scanEnded || idleTicks % IdleTicksPerCatalogCheck == 0)
                {
                    // The scan committed (or failed): open the root as if just navigated to it.
                    await InvokeAsync(async () =>
                    {
                        _loaded = null;
                        await OnParametersSetAsync();
                        StateHasChanged();
                    });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
    }
}
