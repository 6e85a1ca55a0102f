using FileVault.Core.Access;
using FileVault.Core.Monitoring;
using FileVault.Web.Account;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace FileVault.Web.Components.Pages.Admin.SystemDashboard;

/// <summary>
/// The live system dashboard: subscribes to the sampler while open (the sampling stops when the last such page
/// closes), keeps the last two minutes for the live chart, and reads the one-minute history for the chosen range.
/// </summary>
public partial class SystemPage
{
    private const int LivePoints = 60;

    private readonly List<SystemSample> _live = [];
    private AccessSubject _actor = default!;
    private CircuitCulture _culture;
    private IDisposable? _subscription;
    private SystemSample? _sample;
    private List<ChartSeries<double>> _liveSeries = [];
    private string[] _liveLabels = [];
    private IReadOnlyList<MetricPoint> _history = [];
    private string[] _historyLabels = [];
    private int _hours = 1;
    private IReadOnlyList<MetricHost> _hosts = [];
    private string _historyHost = Environment.MachineName;
    private int _samples;

    [Inject] private SystemSampler Sampler { get; set; } = default!;
    [Inject] private MetricsHistory History { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private UserTimeZone TimeZone { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = await AuthenticationState.ActorAsync();
        _culture = CircuitCulture.Capture();
        _sample = Sampler.Latest;
        await TimeZone.ResolveAsync();
        await LoadHostsAsync();
        await LoadHistoryAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Only an interactive circuit subscribes: the prerendered page must not start sampling it never stops.
        if (firstRender && _subscription is null)
        {
            var subscribed = Sampler.Subscribe(_actor, OnSample);
            if (subscribed.IsSuccess)
            {
                _subscription = subscribed.Value;
            }
            else
            {
                Snackbar.Add(L.ErrorText(subscribed.Error!), Severity.Error);
            }
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        GC.SuppressFinalize(this);
    }

    private void OnSample(SystemSample sample) => _ = InvokeAsync(async () =>
    {
        _culture.Apply();
        _sample = sample;
        _live.Add(sample);
        if (_live.Count > LivePoints)
        {
            _live.RemoveAt(0);
        }

        _liveSeries =
        [
            new ChartSeries<double> { Name = L["System_Cpu"], Data = new ChartData<double>(_live.Select(s => Math.Round(s.CpuPercent, 1)).ToArray()) },
            new ChartSeries<double> { Name = L["System_Memory"], Data = new ChartData<double>(_live.Select(s => Math.Round(s.MemoryPercent, 1)).ToArray()) },
        ];
        _liveLabels = _live.Select((s, i) => i % 10 == 0 ? TimeZone.Format(s.At, "HH:mm:ss") : "").ToArray();
        // A new history sample is kept every minute (on every instance): the instances and the history follow about as often.
        if (++_samples % 30 == 0)
        {
            await LoadHostsAsync();
            await LoadHistoryAsync();
        }

        StateHasChanged();
    });

    private async Task RangeChangedAsync(int hours)
    {
        _hours = hours;
        await LoadHistoryAsync();
    }

    private async Task HostChosenAsync(string host)
    {
        _historyHost = host;
        await LoadHistoryAsync();
    }

    private async Task LoadHostsAsync()
    {
        var hosts = await History.HostsAsync(_actor, CancellationToken.None);
        _hosts = hosts.IsSuccess ? hosts.Value : [];
    }

    private async Task LoadHistoryAsync()
    {
        var now = Time.GetUtcNow();
        var points = await History.RangeAsync(_actor, _historyHost, now.AddHours(-_hours), now, CancellationToken.None);
        if (!points.IsSuccess || points.Value.Count == 0)
        {
            _history = [];
            _historyLabels = [];
            return;
        }

        var list = points.Value;
        var every = Math.Max(1, list.Count / 8);
        _history = list;
        _historyLabels = list.Select((p, i) => i % every == 0 ? TimeZone.Format(p.At, "HH:mm") : "").ToArray();
    }
}
