using System.Globalization;
using Bunit;
using FileVault.Core.Monitoring;
using FileVault.Web.Components.Pages.Admin.SystemDashboard;
using FileVault.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Components;

/// <summary>The dashboard's summary and process tables as they render one sample.</summary>
public sealed class SystemSummaryTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previous = CultureInfo.CurrentCulture;
    private readonly CultureInfo _previousUi = CultureInfo.CurrentUICulture;

    public Task InitializeAsync()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        _bunit.WithReaderZone("Asia/Seoul");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentCulture = _previous;
        CultureInfo.CurrentUICulture = _previousUi;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public void The_summary_shows_cpu_with_a_bar_per_core_memory_swap_load_and_network()
    {
        var card = _bunit.Render<SystemSummary>(p => p.Add(s => s.Sample, Sample()));

        Assert.Equal("37.5 %", card.Find("#system-cpu").TextContent);
        Assert.Equal(2, card.FindAll(".mud-progress-linear").Count);
        Assert.Equal("25.0 %", card.Find("#system-memory").TextContent);
        Assert.Contains("Swap: 1 GB / 2 GB", card.Find("#system-swap").TextContent, StringComparison.Ordinal);
        Assert.Equal("1.50", card.Find("#system-load").TextContent);
        Assert.Contains("2 KB/s", card.Find("#system-network").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_table_lists_each_process_with_its_share_and_memory()
    {
        var table = _bunit.Render<ProcessTable>(p => p
            .Add(t => t.Title, "Top")
            .Add(t => t.Processes, Sample().TopByCpu)
            .Add(t => t.Id, "top"));

        var rows = table.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("postgres", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("12.5 %", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("40 MB", rows[0].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_instance_gets_a_row_with_its_newest_figures_this_one_is_marked_and_a_click_chooses_its_history()
    {
        string? chosen = null;
        MetricHost[] hosts =
        [
            new("app-1", new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), 12.5, 40, 0.75),
            new("app-2", new DateTimeOffset(2026, 12, 7, 9, 1, 0, TimeSpan.Zero), 80, 55.5, 3.25),
        ];
        var table = _bunit.Render<InstancesTable>(p => p
            .Add(t => t.Hosts, hosts)
            .Add(t => t.Current, "app-1")
            .Add(t => t.Selected, "app-1")
            .Add(t => t.Chosen, (string host) => chosen = host));

        var rows = table.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("this instance", rows[0].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("this instance", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("80.0 %", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("55.5 %", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("3.25", rows[1].TextContent, StringComparison.Ordinal);
        // 09:01 UTC on the reader's clock in Seoul.
        table.WaitForAssertion(() => Assert.Equal("18:01", table.FindAll("tbody tr")[1].QuerySelector("time")?.TextContent));

        table.Find("tr[data-host='app-2']").Click();

        Assert.Equal("app-2", chosen);
    }

    [Fact]
    public void The_history_charts_usage_in_percent_and_disk_and_network_in_kilobytes_per_second()
    {
        MetricPoint[] points =
        [
            new(DateTimeOffset.UnixEpoch, 10, 20, 0.5, 2048, 4096, 1024, 512),
            new(DateTimeOffset.UnixEpoch.AddMinutes(1), 30, 25, 1.5, 10_240, 0, 3072, 1536),
        ];

        var charts = _bunit.Render<HistoryCharts>(p => p.Add(c => c.Points, points).Add(c => c.Labels, ["00:00", ""]));

        var usage = charts.Find("#system-history-chart").TextContent;
        var io = charts.Find("#system-io-chart").TextContent;
        Assert.Contains("CPU", usage, StringComparison.Ordinal);
        Assert.Contains("Memory", usage, StringComparison.Ordinal);
        foreach (var series in new[] { "Disk read", "Disk written", "Received", "Sent" })
        {
            Assert.Contains(series, io, StringComparison.Ordinal);
            Assert.DoesNotContain(series, usage, StringComparison.Ordinal);
        }
    }

    private static SystemSample Sample()
    {
        const long GiB = 1024L * 1024 * 1024;
        ProcessUsage[] processes = [new(7559, "postgres", 12.5, 40L * 1024 * 1024), new(1, "init", 0, 4L * 1024 * 1024)];
        return new SystemSample(DateTimeOffset.UnixEpoch, "host-a", 37.5, [25, 50],
            new MemoryInfo(8 * GiB, 6 * GiB, GiB, 0, 0, 2 * GiB, GiB),
            new LoadAverage(1.5, 1.25, 1, 2, 300), [], 2048, 1024, processes, processes);
    }
}
