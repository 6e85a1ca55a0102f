using FileVault.Core.Access;
using FileVault.Core.Cleanup;
using FileVault.Core.Jobs;
using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Admin.Services;

/// <summary>
/// Services and queues: health of PostgreSQL, Redis, Meilisearch (when configured) and every root's mount with latency and last error; per job
/// kind what waits, runs and failed, with the last 24 hours' throughput; running jobs with live progress, failed ones
/// with a retry.
/// </summary>
public partial class ServicesPage
{
    private static readonly TimeSpan BacklogInterval = TimeSpan.FromSeconds(5);
    private AccessSubject _actor = default!;
    private CircuitCulture _culture;
    private IReadOnlyList<ServiceStatus> _services = [];
    private IReadOnlyList<QueueSummary> _queues = [];
    private List<JobListItem> _active = [];
    private IReadOnlyList<ScheduledScan> _schedule = [];
    private List<ScanRunSummary> _lastScans = [];
    private IReadOnlyList<IndexBacklog> _backlog = [];
    private IReadOnlyList<CleanupSummary> _cleanup = [];
    private IReadOnlyList<ScheduledSweep> _sweeps = [];
    private readonly CancellationTokenSource _closed = new();

    [Inject] private ServiceHealth Health { get; set; } = default!;
    [Inject] private QueueStats Queues { get; set; } = default!;
    [Inject] private JobQueries Jobs { get; set; } = default!;
    [Inject] private JobEvents Events { get; set; } = default!;
    [Inject] private ScanSchedule Schedule { get; set; } = default!;
    [Inject] private ScanQueries Scans { get; set; } = default!;
    [Inject] private SearchBacklog Backlog { get; set; } = default!;
    [Inject] private CleanupRuns Cleanup { get; set; } = default!;
    [Inject] private CleanupSchedule CleanupSchedule { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = await AuthenticationState.ActorAsync();
        _culture = CircuitCulture.Capture();
        Events.Changed += OnJobChanged;
        await LoadAsync(force: false);
        _ = FollowBacklogAsync(_closed.Token);
    }

    public void Dispose()
    {
        Events.Changed -= OnJobChanged;
        _closed.Cancel();
        _closed.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Every scheduled sweep with its last run (none before its first), then any recorded sweep no longer scheduled.</summary>
    private IEnumerable<(string Sweep, ScheduledSweep? Schedule, CleanupSummary? Summary)> CleanupRows() =>
        _sweeps.Select(s => (s.Sweep, (ScheduledSweep?)s, _cleanup.FirstOrDefault(c => c.Last.Sweep == s.Sweep)))
            .Concat(_cleanup.Where(c => _sweeps.All(s => s.Sweep != c.Last.Sweep)).Select(c => (c.Last.Sweep, (ScheduledSweep?)null, (CleanupSummary?)c)));

    private string JobKind(string type) => L["JobType_" + type] is { ResourceNotFound: false } text ? text.Value : type;

    private async Task CheckNowAsync() => await LoadAsync(force: true);

    private async Task LoadAsync(bool force)
    {
        var services = await Health.CheckAsync(_actor, force, CancellationToken.None);
        _services = services.IsSuccess ? services.Value : [];
        _schedule = Schedule.NextRuns(Time.GetUtcNow());
        var runs = await Scans.RecentRunsAsync(_actor, 100, CancellationToken.None);
        _lastScans = runs.IsSuccess ? [.. runs.Value.GroupBy(r => r.RootId).Select(g => g.OrderByDescending(r => r.StartedAt).First()).OrderBy(r => r.RootName, StringComparer.CurrentCulture)] : [];
        await LoadBacklogAsync();
        var cleanup = await Cleanup.SummaryAsync(_actor, CancellationToken.None);
        _cleanup = cleanup.IsSuccess ? cleanup.Value : [];
        _sweeps = CleanupSchedule.NextRuns(Time.GetUtcNow());
        await LoadJobsAsync();
    }

    /// <summary>The search backlog every few seconds while the page is open (a bounded count: cheap however long the queue).</summary>
    private async Task FollowBacklogAsync(CancellationToken closed)
    {
        using var timer = new PeriodicTimer(BacklogInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(closed))
            {
                await InvokeAsync(async () =>
                {
                    _culture.Apply();
                    await LoadBacklogAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between two ticks.
        }
    }

    private async Task LoadBacklogAsync()
    {
        try
        {
            var backlog = await Backlog.ReadAsync(_actor, CancellationToken.None);
            _backlog = backlog.IsSuccess ? backlog.Value : [];
        }
        catch (System.Data.Common.DbException)
        {
            // PostgreSQL is away: its own row above says so; the backlog shows again at the next tick after it is back.
            _backlog = [];
        }
    }

    private string Age(TimeSpan age) => age.TotalSeconds < 60
        ? L["Services_AgeSeconds", (int)age.TotalSeconds]
        : age.TotalMinutes < 60 ? L["Services_AgeMinutes", (int)age.TotalMinutes] : L["Services_AgeHours", age.TotalHours.ToString("0.#", System.Globalization.CultureInfo.CurrentCulture)];

    private async Task LoadJobsAsync()
    {
        var queues = await Queues.SummaryAsync(_actor, CancellationToken.None);
        _queues = queues.IsSuccess ? queues.Value : [];
        var since = Time.GetUtcNow().AddHours(-24);
        _active = [.. (await Jobs.ListAsync(_actor, everyone: true, JobQueries.MaxList, CancellationToken.None))
            .Where(j => j.Status is JobStatus.Queued or JobStatus.Running or JobStatus.Interrupted
                || (j.Status == JobStatus.Failed && j.FinishedAt >= since))];
    }

    private async Task RetryAsync(long id)
    {
        var retried = await Jobs.RetryAsync(_actor, id, CancellationToken.None);
        if (!retried.IsSuccess)
        {
            Snackbar.Add(L.ErrorText(retried.Error!), Severity.Warning);
        }

        await LoadJobsAsync();
    }

    // Raised on a job's thread: a progress step changes one row; a start or an end changes the counts.
    private void OnJobChanged(JobEvent change) => _ = InvokeAsync(async () =>
    {
        _culture.Apply();
        var index = _active.FindIndex(j => j.Id == change.Id);
        if (index >= 0 && change.Status == JobStatus.Running && _active[index].Status == JobStatus.Running)
        {
            _active[index] = _active[index].With(change);
        }
        else
        {
            await LoadJobsAsync();
        }

        StateHasChanged();
    });
}
