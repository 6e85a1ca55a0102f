using System.Globalization;
using System.Security.Claims;
using Bunit;
using FileVault.Core.Access;
using FileVault.Core.Monitoring;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Search.Meilisearch;
using FileVault.Web.Components.Layout;
using FileVault.Web.Components.Pages.Admin.Services;
using FileVault.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Components;

/// <summary>Meilisearch on the admin services page: its row in the health table, and the banner while it does not answer.</summary>
public sealed class ServiceHealthViewTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previous = CultureInfo.CurrentCulture;
    private readonly CultureInfo _previousUi = CultureInfo.CurrentUICulture;

    public Task InitializeAsync()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        _bunit.WithReaderZone("UTC");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentCulture = _previous;
        CultureInfo.CurrentUICulture = _previousUi;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public void The_health_table_shows_meilisearch_as_the_search_engine_with_its_state_latency_and_last_error()
    {
        var checkedAt = new DateTimeOffset(2026, 12, 7, 9, 30, 15, TimeSpan.Zero);
        ServiceStatus[] statuses =
        [
            new("meilisearch", "Meilisearch", "search", false, null, checkedAt, "Connection refused (127.0.0.1:7700)", "Connection refused (127.0.0.1:7700)", checkedAt),
            new("postgres", "PostgreSQL", "database", true, 2.0, checkedAt, null, null, null),
        ];

        var table = _bunit.Render<ServiceHealthTable>(p => p.Add(t => t.Services, statuses));

        var row = table.Find("tr[data-service=meilisearch]");
        Assert.Contains("Meilisearch", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("search engine", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("Unavailable", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("—", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("Connection refused (127.0.0.1:7700)", row.TextContent, StringComparison.Ordinal);
        table.WaitForAssertion(() => Assert.Contains("09:30:15", table.Find("tr[data-service=meilisearch]").TextContent, StringComparison.Ordinal));
        Assert.Contains("2.0 ms", table.Find("tr[data-service=postgres]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_an_admin_page_the_banner_names_meilisearch_while_its_port_is_closed()
    {
        await using var harness = await ScanHarness.CreateAsync(settings: new Dictionary<string, string?>
        {
            ["FileVault:Search:Meilisearch:Url"] = $"http://127.0.0.1:{FakeMeilisearch.FreePort()}",
        });
        _bunit.Services.AddSingleton(harness.Get<ServiceHealth>());
        var admin = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()), new Claim(ClaimTypes.Role, Roles.Admin)], authenticationType: "Test");
        _bunit.Services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationStateProvider(new ClaimsPrincipal(admin)));
        _bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("/admin/services");

        var page = _bunit.Render<CascadingAuthenticationState>(p => p.AddChildContent<ServiceHealthBanner>());

        page.WaitForAssertion(() => Assert.Contains("Not answering: Meilisearch.", page.Find("#service-health-banner").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
    }

    private sealed class FixedAuthenticationStateProvider(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
