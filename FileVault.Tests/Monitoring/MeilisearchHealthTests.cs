using FileVault.Core.Access;
using FileVault.Core.Monitoring;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Search.Meilisearch;

namespace FileVault.Tests.Monitoring;

/// <summary>
/// Meilisearch in service health when it is configured: its GET /health over a real loopback socket, and a port that
/// nothing listens on.
/// </summary>
public sealed class MeilisearchHealthTests
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);

    [Fact]
    public async Task A_configured_meilisearch_that_answers_available_is_healthy_with_its_latency()
    {
        await using var meilisearch = new FakeMeilisearch();
        await using var harness = await HarnessFor(meilisearch.Url);

        var statuses = (await harness.Get<ServiceHealth>().CheckAsync(Admin, force: true, default)).Value;

        var row = Assert.Single(statuses, s => s.Key == "meilisearch");
        Assert.True(row.IsHealthy, row.Error);
        Assert.Equal("search", row.Kind);
        Assert.True(row.LatencyMs >= 0);
        Assert.Null(row.Error);
        Assert.Contains(meilisearch.Requests, r => r is { Method: "GET", Path: "/health" });
    }

    [Fact]
    public async Task A_configured_meilisearch_on_a_closed_port_is_unhealthy_with_the_refusal_as_its_error()
    {
        var port = FakeMeilisearch.FreePort();
        await using var harness = await HarnessFor($"http://127.0.0.1:{port}");

        var statuses = (await harness.Get<ServiceHealth>().CheckAsync(Admin, force: true, default)).Value;

        var row = Assert.Single(statuses, s => s.Key == "meilisearch");
        Assert.False(row.IsHealthy);
        Assert.Null(row.LatencyMs);
        Assert.Contains("refused", row.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(row.Error, row.LastError);
        // The other services are unaffected: only Meilisearch raises the banner.
        Assert.Equal(["meilisearch"], statuses.Where(s => !s.IsHealthy).Select(s => s.Key));
    }

    [Fact]
    public async Task A_meilisearch_that_reports_another_status_is_unhealthy_and_says_what_it_reported()
    {
        await using var meilisearch = new FakeMeilisearch { Answer = r => r.Path == "/health" ? (200, """{"status": "degraded"}""") : null };
        await using var harness = await HarnessFor(meilisearch.Url);

        var row = (await harness.Get<ServiceHealth>().CheckAsync(Admin, force: true, default)).Value.Single(s => s.Key == "meilisearch");

        Assert.False(row.IsHealthy);
        Assert.Contains("degraded", row.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_meilisearch_url_no_meilisearch_row_is_listed()
    {
        await using var harness = await ScanHarness.CreateAsync();

        var statuses = (await harness.Get<ServiceHealth>().CheckAsync(Admin, force: true, default)).Value;

        Assert.DoesNotContain(statuses, s => s.Key == "meilisearch");
    }

    private static Task<ScanHarness> HarnessFor(string url) => ScanHarness.CreateAsync(settings: new Dictionary<string, string?>
    {
        ["FileVault:Search:Meilisearch:Url"] = url,
    });
}
