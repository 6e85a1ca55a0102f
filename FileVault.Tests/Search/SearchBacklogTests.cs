using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Search;

/// <summary>The search index's backlog as the services page reads it: what is queued, how old, bounded, admins only.</summary>
public sealed class SearchBacklogTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "회의록"));
            File.WriteAllText(Path.Combine(root, "회의록", "1월.txt"), "x");
            File.WriteAllText(Path.Combine(root, "2월.txt"), "x");
        });
        _admin = await HarnessUsers.CreateAsync(_harness, "boss@backlog.test", Roles.Admin);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_scans_changes_wait_in_the_outbox_until_indexed()
    {
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        long queued;
        await using (var db = _harness.Database.CreateDbContext())
        {
            queued = await db.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM search_outbox").SingleAsync();
        }

        var before = Assert.Single((await _harness.Get<SearchBacklog>().ReadAsync(_admin, default)).Value);
        await _harness.Get<SearchIndexer>().DrainAsync();
        var after = Assert.Single((await _harness.Get<SearchBacklog>().ReadAsync(_admin, default)).Value);

        Assert.True(queued >= 3);
        Assert.Equal(("postgres", queued, false), (before.Index, before.Queued, before.AtLeast));
        Assert.NotNull(before.OldestAge);
        Assert.Equal((0L, false, (TimeSpan?)null), (after.Queued, after.AtLeast, after.OldestAge));
    }

    [Fact]
    public async Task A_huge_backlog_is_counted_only_up_to_the_limit_and_meilisearch_shows_when_on()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync(
                $"INSERT INTO search_outbox (entry_id, queued_at) SELECT g, now() - interval '1 hour' FROM generate_series(1, {SearchBacklog.CountLimit + 5}) g");
            await db.Database.ExecuteSqlRawAsync("UPDATE meili_sync SET enabled = true; INSERT INTO meili_outbox (entry_id) VALUES (1), (2)");
        }

        var backlog = (await _harness.Get<SearchBacklog>().ReadAsync(_admin, default)).Value;

        Assert.Equal(["postgres", "meilisearch"], backlog.Select(b => b.Index));
        Assert.Equal((SearchBacklog.CountLimit, true), (backlog[0].Queued, backlog[0].AtLeast));
        Assert.InRange(backlog[0].OldestAge!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(120));
        Assert.Equal((2L, false), (backlog[1].Queued, backlog[1].AtLeast));
    }

    [Fact]
    public async Task A_user_is_refused_the_backlog()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "plain@backlog.test", Roles.User);

        Assert.Equal("auth.forbidden", (await _harness.Get<SearchBacklog>().ReadAsync(user, default)).Error?.Code);
    }
}
