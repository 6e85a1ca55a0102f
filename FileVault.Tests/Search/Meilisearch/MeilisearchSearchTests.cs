using System.Text.Json.Nodes;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Core.Search.Meilisearch;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Search.Meilisearch;

/// <summary>
/// Meilisearch as the engine, against the loopback fake: the outbox beside search's own, the index job and the hourly
/// reconciliation; permission filtering and the recheck in PostgreSQL (a denied or stale id Meilisearch returns is
/// never shown); and PostgreSQL answering when Meilisearch is down, failing or behind.
/// </summary>
public sealed class MeilisearchSearchTests : IAsyncLifetime
{
    private static readonly string[] Tree =
    [
        "영업부/회의록_2025.hwp", "영업부/회계_보고.xlsx", "영업부/보고서.pdf", "기밀/회의록_임원.hwp", "기밀/secret-plan.txt", "공용/readme.txt",
    ];

    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private FakeMeilisearch _server = default!;
    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _server = new FakeMeilisearch();
        _harness = await CreateHarnessAsync(_server.Url);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Changes_queue_for_meilisearch_only_once_it_is_set_up_and_search_outbox_is_unchanged()
    {
        Assert.Equal(0, await CountAsync("meili_outbox"));
        var searchQueued = await CountAsync("search_outbox");
        await RenameAsync("공용/readme.txt", "안내문.txt");
        Assert.Equal(0, await CountAsync("meili_outbox"));
        Assert.Equal(searchQueued + 1, await CountAsync("search_outbox"));

        await _harness.Get<MeilisearchIndexer>().EnsureIndexAsync(CancellationToken.None);
        await RenameAsync("공용/안내문.txt", "readme.txt");
        await using (var db = _harness.Database.CreateDbContext())
        {
            // The name as written changes, not its key: only Meilisearch's document (which shows the name) is stale.
            await db.Entries.Where(e => e.RelativePath == "영업부/보고서.pdf").ExecuteUpdateAsync(s => s.SetProperty(e => e.Name, "보고서.PDF"));
        }

        Assert.Equal(2, await CountAsync("meili_outbox"));
        Assert.Equal(searchQueued + 2, await CountAsync("search_outbox"));
    }

    [Fact]
    public async Task Reconciliation_sends_every_active_entry_with_its_path_prefixes_and_deletes_what_is_gone()
    {
        _server.Documents[999_999] = new JsonObject { ["id"] = 999_999 };
        var reconciled = await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);

        var active = await ActivePathsAsync();
        Assert.Equal(active.Count, reconciled.Sent);
        Assert.Equal(1, reconciled.Deleted);
        Assert.Equal(active.Values.Order(), _server.Documents.Values.Select(d => d["path"]!.GetValue<string>()).Order());
        var minutes = _server.Documents[active.Single(a => a.Value == "영업부/회의록_2025.hwp").Key];
        Assert.Equal("ㅎㅇㄹ_2025.hwp", minutes["initials"]!.GetValue<string>());
        Assert.Equal("hwp", minutes["extension"]!.GetValue<string>());
        var root = _harness.RootId;
        Assert.Equal([$"{root}:", $"{root}:영업부", $"{root}:영업부/회의록_2025.hwp"], minutes["pathPrefixes"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.True(await _harness.Get<MeilisearchIndexer>().IsReconciledAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_index_job_sends_renames_and_deletes_trashed_entries_and_keeps_them_queued_while_meilisearch_fails()
    {
        var indexer = _harness.Get<MeilisearchIndexer>();
        await indexer.ReconcileAsync(CancellationToken.None);
        await RenameAsync("공용/readme.txt", "안내문.txt");
        var trashed = await TrashAsync("영업부/보고서.pdf");

        _server.Answer = r => r.Method == "POST" ? (500, """{"message": "boom", "code": "internal", "type": "internal", "link": ""}""") : null;
        await Assert.ThrowsAsync<MeilisearchException>(() => indexer.DrainAsync(CancellationToken.None));
        Assert.Equal(2, await indexer.PendingAsync(CancellationToken.None));
        Assert.True(_server.Documents.ContainsKey(trashed));

        _server.Answer = null;
        var drained = await indexer.DrainAsync(CancellationToken.None);
        Assert.Equal((2, 1), (drained.Changed, drained.Indexed));
        Assert.Equal(0, await indexer.PendingAsync(CancellationToken.None));
        Assert.False(_server.Documents.ContainsKey(trashed));
        Assert.Contains(_server.Documents.Values, d => d["path"]!.GetValue<string>() == "공용/안내문.txt");
        Assert.DoesNotContain(_server.Documents.Values, d => d["path"]!.GetValue<string>() == "공용/readme.txt");
    }

    [Fact]
    public async Task A_user_never_sees_an_entry_outside_their_grants_even_when_meilisearch_returns_it()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        var user = await HarnessUsers.CreateAsync(_harness, "reader@filevault.local", Roles.User);
        await GrantAsync(user, "영업부", GrantEffect.Allow);
        var paths = await ActivePathsAsync();
        long Id(string path) => paths.Single(p => p.Value == path).Key;

        // A stale or wrong Meilisearch: it returns a denied entry, a readable one, and one trashed meanwhile.
        var trashed = await TrashAsync("영업부/회계_보고.xlsx");
        _server.SearchHits = [Id("기밀/회의록_임원.hwp"), Id("영업부/회의록_2025.hwp"), trashed, Id("기밀/secret-plan.txt")];
        var results = await SearchAsync(user, new SearchQuery("회의록"));
        Assert.Equal(SearchPlan.Meilisearch, results.Plan);
        Assert.False(results.AnsweredByDatabase);
        Assert.Equal(["영업부/회의록_2025.hwp"], Paths(results));

        var sent = JsonNode.Parse(_server.Requests.Last(r => r.Path.EndsWith("/search", StringComparison.Ordinal)).Body)!;
        Assert.Equal($"(pathPrefixes IN [\"{_harness.RootId}:영업부\"])", sent["filter"]!.GetValue<string>());
        Assert.Equal("회의록", sent["q"]!.GetValue<string>());

        // The grant taken away: nothing, whatever Meilisearch says (a User without grants does not even ask it).
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.UserId == user.UserId).ExecuteDeleteAsync();
        }

        var before = _server.Requests.Count;
        Assert.Empty((await SearchAsync(user, new SearchQuery("회의록"))).Items);
        Assert.Equal(before, _server.Requests.Count);

        // An administrator sees what the catalog has, in Meilisearch's order.
        var admin = await SearchAsync(Admin, new SearchQuery("회의록"));
        Assert.Equal(["기밀/회의록_임원.hwp", "영업부/회의록_2025.hwp", "기밀/secret-plan.txt"], Paths(admin));
    }

    [Fact]
    public async Task A_move_into_a_denied_folder_not_yet_sent_to_meilisearch_hides_the_entry_at_once()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        var user = await HarnessUsers.CreateAsync(_harness, "reader@filevault.local", Roles.User);
        await GrantAsync(user, "", GrantEffect.Allow);
        await GrantAsync(user, "기밀", GrantEffect.Deny);
        var paths = await ActivePathsAsync();
        var minutes = paths.Single(p => p.Value == "영업부/회의록_2025.hwp").Key;
        _server.SearchHits = [minutes];
        Assert.Equal(["영업부/회의록_2025.hwp"], Paths(await SearchAsync(user, new SearchQuery("회의록"))));

        // Moved into the denied folder a moment ago: queued, not sent, not yet "behind"; Meilisearch still has the old path.
        await using (var db = _harness.Database.CreateDbContext())
        {
            var denied = await db.Entries.SingleAsync(e => e.RelativePath == "기밀");
            await db.Entries.Where(e => e.Id == minutes)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.RelativePath, "기밀/회의록_2025.hwp").SetProperty(e => e.ParentId, denied.Id));
        }

        Assert.Equal("영업부/회의록_2025.hwp", _server.Documents[minutes]["path"]!.GetValue<string>());
        var results = await SearchAsync(user, new SearchQuery("회의록"));
        Assert.Equal(SearchPlan.Meilisearch, results.Plan);
        Assert.Empty(results.Items);
        Assert.Equal(["기밀/회의록_2025.hwp"], Paths(await SearchAsync(Admin, new SearchQuery("회의록"))));
    }

    [Fact]
    public async Task A_deny_below_an_allow_is_left_out_in_the_filter_and_checked_again()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        var user = await HarnessUsers.CreateAsync(_harness, "reader@filevault.local", Roles.User);
        await GrantAsync(user, "", GrantEffect.Allow);
        await GrantAsync(user, "기밀", GrantEffect.Deny);
        var paths = await ActivePathsAsync();
        _server.SearchHits = [.. paths.Where(p => p.Value.Contains("회의록", StringComparison.Ordinal)).Select(p => p.Key).Order()];

        var results = await SearchAsync(user, new SearchQuery("회의록", Sort: SearchSort.Name));
        Assert.Equal(["영업부/회의록_2025.hwp"], Paths(results));
        var sent = JsonNode.Parse(_server.Requests.Last(r => r.Path.EndsWith("/search", StringComparison.Ordinal)).Body)!;
        var root = _harness.RootId;
        Assert.Equal($"(pathPrefixes IN [\"{root}:\"]) AND (NOT pathPrefixes IN [\"{root}:기밀\"])", sent["filter"]!.GetValue<string>());
        Assert.Equal(["nameKey:asc", "id:asc"], sent["sort"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task When_meilisearch_answers_5xx_the_database_answers_and_says_so()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        _server.Answer = r => r.Path.EndsWith("/search", StringComparison.Ordinal) ? (503, "") : null;
        var results = await SearchAsync(Admin, new SearchQuery("회의록", Sort: SearchSort.Name));
        Assert.True(results.AnsweredByDatabase);
        Assert.NotEqual(SearchPlan.Meilisearch, results.Plan);
        Assert.Equal(["영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp"], Paths(results)); // by name: 2 before 임
    }

    [Fact]
    public async Task When_meilisearch_hangs_the_database_answers()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        _server.HangSearches = true;
        var results = await SearchAsync(Admin, new SearchQuery("secret"));
        Assert.True(results.AnsweredByDatabase);
        Assert.Equal(["기밀/secret-plan.txt"], Paths(results));
    }

    [Fact]
    public async Task When_meilisearch_is_down_the_database_answers_and_a_denied_folder_stays_hidden()
    {
        await using var down = await CreateHarnessAsync($"http://127.0.0.1:{FakeMeilisearch.FreePort()}");
        await using (var db = down.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE meili_sync SET enabled = true, reconciled_at = now()");
        }

        var user = await HarnessUsers.CreateAsync(down, "reader@filevault.local", Roles.User);
        await using (var db = down.Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant
            {
                RootId = down.RootId, RelativePath = "영업부", UserId = user.UserId, Permissions = Permission.Read, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        await using var scope = down.CreateScope();
        var results = (await scope.ServiceProvider.GetRequiredService<EntrySearch>().SearchAsync(user, new SearchQuery("회의록"), CancellationToken.None)).Value;
        Assert.True(results.AnsweredByDatabase);
        Assert.Equal(["영업부/회의록_2025.hwp"], Paths(results));
    }

    [Fact]
    public async Task A_lagging_outbox_or_an_index_never_reconciled_sends_the_search_to_the_database()
    {
        var never = await SearchAsync(Admin, new SearchQuery("secret"));
        Assert.True(never.AnsweredByDatabase);

        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        Assert.False((await SearchAsync(Admin, new SearchQuery("secret"))).AnsweredByDatabase);

        // A change queued a minute ago and not sent (the index job stopped): Meilisearch is behind.
        await RenameAsync("공용/readme.txt", "안내문.txt");
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE meili_outbox SET queued_at = now() - interval '1 minute'");
        }

        var searches = _server.Requests.Count(r => r.Path.EndsWith("/search", StringComparison.Ordinal));
        var lagging = await SearchAsync(Admin, new SearchQuery("안내문"));
        Assert.True(lagging.AnsweredByDatabase);
        Assert.Equal(["공용/안내문.txt"], Paths(lagging));
        Assert.Equal(searches, _server.Requests.Count(r => r.Path.EndsWith("/search", StringComparison.Ordinal)));

        await _harness.Get<MeilisearchIndexer>().DrainAsync(CancellationToken.None);
        Assert.False((await SearchAsync(Admin, new SearchQuery("안내문"))).AnsweredByDatabase);
    }

    [Fact]
    public async Task Meilisearchs_next_cursor_is_an_offset_and_a_cursor_with_sort_keys_goes_on_in_postgresql()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        var paths = await ActivePathsAsync();
        long Id(string path) => paths.Single(p => p.Value == path).Key;
        _server.SearchHits = [Id("영업부/회의록_2025.hwp"), Id("기밀/회의록_임원.hwp")];
        _server.EstimatedTotalHits = 5;

        var first = await SearchAsync(Admin, new SearchQuery("회의록", PageSize: 2));
        Assert.Equal(SearchPlan.Meilisearch, first.Plan);
        var next = SearchCursor.Parse(first.Next!).Value;
        Assert.Equal(new SearchCursor(2, null), next);

        var second = await SearchAsync(Admin, new SearchQuery("회의록", PageSize: 2, After: next));
        Assert.Equal(SearchPlan.Meilisearch, second.Plan);
        var sent = JsonNode.Parse(_server.Requests.Last(r => r.Path.EndsWith("/search", StringComparison.Ordinal)).Body)!;
        Assert.Equal(2, sent["offset"]!.GetValue<int>());

        // PostgreSQL's cursor (say from a page it answered while Meilisearch was down) is PostgreSQL's to follow.
        var before = _server.Requests.Count;
        var keyed = new SearchCursor(1, new SearchCursorKey(SearchSort.Relevance, false, 1, "회의록_2025.hwp", 0, DateTimeOffset.UnixEpoch, Id("영업부/회의록_2025.hwp")));
        var byDatabase = await SearchAsync(Admin, new SearchQuery("회의록", PageSize: 2, After: keyed));
        Assert.NotEqual(SearchPlan.Meilisearch, byDatabase.Plan);
        Assert.Equal(["기밀/회의록_임원.hwp"], Paths(byDatabase));
        Assert.Equal(before, _server.Requests.Count);
    }

    [Fact]
    public async Task Initial_consonants_are_answered_by_postgresql_exactly()
    {
        await _harness.Get<MeilisearchIndexer>().ReconcileAsync(CancellationToken.None);
        var results = await SearchAsync(Admin, new SearchQuery("ㅎㅇㄹ", Sort: SearchSort.Name));
        Assert.False(results.AnsweredByDatabase);
        Assert.NotEqual(SearchPlan.Meilisearch, results.Plan);
        Assert.Equal(["영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp"], Paths(results)); // by name: 2 before 임
    }

    private static async Task<ScanHarness> CreateHarnessAsync(string url)
    {
        var harness = await ScanHarness.CreateAsync(root =>
        {
            foreach (var path in Tree)
            {
                var full = Path.Combine(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, path);
            }
        }, new Dictionary<string, string?>
        {
            [MeilisearchOptions.Section + ":Url"] = url,
            // Long enough that the stand-in server always answers in time on a loaded machine (at 300 ms a clean-clone
            // run fell back to PostgreSQL once and saw both minutes); the hang test waits it out once.
            [MeilisearchOptions.Section + ":SearchTimeoutMs"] = "3000",
        });
        Assert.Equal(ScanStatus.Completed, (await harness.ScanAsync(ScanKind.Full)).Status);
        await harness.Get<SearchIndexer>().DrainAsync();
        return harness;
    }

    private async Task<SearchResults> SearchAsync(AccessSubject subject, SearchQuery query)
    {
        await using var scope = _harness.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<EntrySearch>().SearchAsync(subject, query, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private async Task<long> CountAsync(string table)
    {
        await using var db = _harness.Database.CreateDbContext();
        return table == "meili_outbox"
            ? await db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM meili_outbox").SingleAsync()
            : await db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM search_outbox").SingleAsync();
    }

    private async Task<Dictionary<long, string>> ActivePathsAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Entries.Where(e => e.State == EntryState.Active && e.ParentId != null).ToDictionaryAsync(e => e.Id, e => e.RelativePath);
    }

    private async Task RenameAsync(string path, string name)
    {
        await using var db = _harness.Database.CreateDbContext();
        var parent = path[..path.LastIndexOf('/')];
        await db.Entries.Where(e => e.RelativePath == path && e.State == EntryState.Active)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Name, name).SetProperty(e => e.NameKey, EntryName.Key(name))
                .SetProperty(e => e.RelativePath, parent + "/" + name));
    }

    private async Task<long> TrashAsync(string path)
    {
        await using var db = _harness.Database.CreateDbContext();
        var id = await db.Entries.Where(e => e.RelativePath == path).Select(e => e.Id).SingleAsync();
        await db.Entries.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EntryState.Trashed));
        return id;
    }

    private async Task GrantAsync(AccessSubject user, string path, GrantEffect effect)
    {
        await using var db = _harness.Database.CreateDbContext();
        db.FolderGrants.Add(new FolderGrant
        {
            RootId = _harness.RootId, RelativePath = path, UserId = user.UserId, Permissions = Permission.Read, Effect = effect, CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    private static List<string> Paths(SearchResults results) =>
        results.Items.Select(h => EntryName.Key(h.FolderPath.Length == 0 ? h.Name : h.FolderPath + "/" + h.Name)).ToList();
}
