using FileVault.Core.Access;
using FileVault.Core.Search;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Search;

/// <summary>A broad search counts up to the cap and says "more"; a narrow one counts exactly.</summary>
public sealed class SearchTotalsTests : IAsyncLifetime
{
    private const int Files = SearchQuery.TotalCap + 5;
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync();
        await using var db = _harness.Database.CreateDbContext();
        var root = await db.Database.SqlQuery<long>($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, state, device, inode, name_is_valid)
            VALUES ({_harness.RootId}, NULL, '', '', '', 0, 0, now(), 0, 1, 1, true)
            RETURNING id AS "Value"
            """).AsAsyncEnumerable().SingleAsync();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, state, device, inode, name_is_valid)
            SELECT {_harness.RootId}, {root}, 'bulk_' || i || '.txt', 'bulk_' || i || '.txt', 'bulk_' || i || '.txt', 1, i, now(), 'txt', 0, 1, 1000 + i, true
            FROM generate_series(1, {Files}) AS i
            """);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_users_filter_without_words_past_the_cap_walks_for_its_page_and_counts_its_folders_to_the_cap()
    {
        // The index up to date and analysed, as on a catalog in use: the plan is chosen from its statistics.
        await _harness.Get<SearchIndexer>().DrainAsync();
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE entry_search");
        }

        var user = await HarnessUsers.CreateAsync(_harness, "documents@filevault.local", Roles.User);
        await using (var db = _harness.Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant
            {
                RootId = _harness.RootId, RelativePath = "", UserId = user.UserId, Permissions = Permission.Read, Effect = GrantEffect.Allow,
                CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var query = new SearchQuery(Type: SearchType.Documents, Sort: SearchSort.Size, Descending: true);
        await using var scope = _harness.CreateScope();
        var search = scope.ServiceProvider.GetRequiredService<PostgresSearch>();
        var walked = (await search.SearchAsync(user, query, CancellationToken.None)).Value;
        var catalog = (await search.SearchAsync(user, query, SearchPlan.Catalog, CancellationToken.None)).Value;

        // More than the cap of matches in the user's folders: a walk finds the page, the count of the folders stops at the cap.
        Assert.Equal(SearchPlan.Walk, walked.Plan);
        Assert.Equal((SearchQuery.TotalCap, true), (walked.Total, walked.TotalIsCapped));
        Assert.Equal((catalog.Total, catalog.TotalIsCapped), (walked.Total, walked.TotalIsCapped));
        Assert.Equal(catalog.Items.Select(h => h.Id), walked.Items.Select(h => h.Id));
        Assert.Equal(Enumerable.Range(Files - 49, 50).Reverse().Select(i => (long)i), walked.Items.Select(h => h.Size));
    }

    [Fact]
    public async Task A_broad_search_stops_counting_at_the_cap_and_says_there_are_more()
    {
        var broad = await SearchAsync(new SearchQuery("bulk"));
        var narrow = await SearchAsync(new SearchQuery("bulk_1000"));

        Assert.Equal(SearchQuery.TotalCap, broad.Total);
        Assert.True(broad.TotalIsCapped);
        Assert.Equal(SearchQuery.DefaultPageSize, broad.Items.Count);
        // bulk_1000 and bulk_10000 to bulk_10005.
        Assert.Equal(7, narrow.Total);
        Assert.False(narrow.TotalIsCapped);
    }

    [Fact]
    public async Task The_last_page_starts_at_the_cap_and_none_after_it()
    {
        var last = await SearchAsync(new SearchQuery("bulk", Sort: SearchSort.Size, Offset: SearchQuery.TotalCap));

        Assert.Equal(Enumerable.Range(SearchQuery.TotalCap + 1, Files - SearchQuery.TotalCap).Select(i => (long)i), last.Items.Select(h => h.Size));
        await using var scope = _harness.CreateScope();
        var beyond = await scope.ServiceProvider.GetRequiredService<PostgresSearch>()
            .SearchAsync(Admin, new SearchQuery("bulk", Offset: SearchQuery.TotalCap + 1), CancellationToken.None);
        Assert.Equal("search.page_invalid", beyond.Error?.Code);
    }

    private async Task<SearchResults> SearchAsync(SearchQuery query)
    {
        await using var scope = _harness.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<PostgresSearch>().SearchAsync(Admin, query, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }
}
