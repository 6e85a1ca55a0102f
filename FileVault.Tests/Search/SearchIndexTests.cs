using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Search;

/// <summary>
/// The name index beside the catalog: kept in step by the outbox, never trusted over the catalog (a queued change shows
/// at once, in every plan), never a way around a grant; Korean 초성 and keyboard-layout suggestions; and plans that
/// stay on indexes.
/// </summary>
public sealed class SearchIndexTests : IAsyncLifetime
{
    private static readonly SearchPlan[] Plans = [SearchPlan.Auto, SearchPlan.Index, SearchPlan.Walk, SearchPlan.Scope, SearchPlan.Catalog];
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            foreach (var path in new[]
            {
                "영업부/회의록_2025.hwp", "영업부/회계_보고.xlsx", "영업부/보고서.pdf", "영업부/" + "주간보고서.docx".Normalize(NormalizationForm.FormD),
                "기밀/회의록_임원.hwp", "기밀/secret-plan.txt", "공용/readme.txt",
            })
            {
                var full = Path.Combine(root, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, path);
            }
        });
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        await DrainAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_scan_queues_every_entry_and_a_drain_indexes_each_once_with_its_tokens()
    {
        await using var db = _harness.Database.CreateDbContext();
        var indexed = await db.Database.SqlQuery<string>($"SELECT name_key AS \"Value\" FROM entry_search ORDER BY name_key").ToListAsync();
        var active = await db.Entries.Where(e => e.State == EntryState.Active && e.ParentId != null).OrderBy(e => e.NameKey).Select(e => e.NameKey).ToListAsync();
        Assert.Equal(active, indexed);
        Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM search_outbox").SingleAsync());
        var tokens = await db.Database.SqlQuery<int[]>($"SELECT tokens AS \"Value\" FROM entry_search WHERE name_key = '보고서.pdf'").SingleAsync();
        // The name's tokens, and the folder it is in; a folder holds its own as well.
        Assert.Equal(SearchTokens.OfName("보고서.pdf", "pdf").Append(SearchTokens.In(_harness.RootId, "영업부")).Order(), tokens);
        var folder = await db.Database.SqlQuery<int[]>($"SELECT tokens AS \"Value\" FROM entry_search WHERE relative_path = '영업부'").SingleAsync();
        Assert.Contains(SearchTokens.In(_harness.RootId, "영업부"), folder);
        Assert.DoesNotContain(SearchTokens.In(_harness.RootId, "기밀"), tokens);
    }

    [Fact]
    public async Task A_drain_leaves_nothing_in_the_GIN_pending_list_that_every_search_would_read_whole()
    {
        await AddFilesAsync("대기_", 500, firstInode: 400000);
        await using var db = _harness.Database.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync("CREATE EXTENSION IF NOT EXISTS pgstattuple");
        // The index as a drain row by row writes it: fastupdate on, so a COPY's rows wait in the pending list.
        Assert.Contains("fastupdate=on", await db.Database.SqlQuery<string>(
            $"SELECT array_to_string(reloptions, ',') AS \"Value\" FROM pg_class WHERE relname = 'ix_entry_search_tokens'").SingleAsync());
        var drain = await DrainAsync();
        Assert.Equal(500, drain.Indexed);
        var pending = await db.Database.SqlQuery<long>(
            $"SELECT pending_tuples::bigint AS \"Value\" FROM pgstatginindex('ix_entry_search_tokens')").SingleAsync();
        Assert.Equal(0, pending);
        Assert.Equal(500, (await SearchAsync(Admin, new SearchQuery("대기_"), SearchPlan.Index)).Total);
    }

    [Fact]
    public async Task A_folder_moved_into_a_granted_folder_is_found_there_by_the_folder_tokens_before_and_after_the_drain()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "moved@filevault.local", Roles.User);
        await GrantAsync(user, "공용", GrantEffect.Allow);
        Assert.Empty((await SearchAsync(user, new SearchQuery("보고서"), SearchPlan.Index)).Items);
        await using (var db = _harness.Database.CreateDbContext())
        {
            var target = await db.Entries.SingleAsync(e => e.RelativePath == "공용");
            await db.Entries.Where(e => e.RelativePath == "영업부").ExecuteUpdateAsync(s => s.SetProperty(e => e.ParentId, target.Id));
            await db.Database.ExecuteSqlAsync($"""
                UPDATE entries SET relative_path = '공용/' || relative_path
                WHERE root_id = {_harness.RootId} AND (relative_path = '영업부' OR relative_path LIKE '영업부/%')
                """);
        }

        string[] expected = ["공용/영업부/보고서.pdf", "공용/영업부/주간보고서.docx"];
        foreach (var plan in Plans)
        {
            Assert.Equal(expected, Paths(await SearchAsync(user, new SearchQuery("보고서", Sort: SearchSort.Name), plan)));
        }

        // Drained, the moved rows carry the tokens of the folders they are in now: the index alone finds them.
        await DrainAsync();
        foreach (var plan in Plans)
        {
            var results = await SearchAsync(user, new SearchQuery("보고서", Sort: SearchSort.Name), plan);
            Assert.Equal(expected, Paths(results));
            Assert.Equal(2, results.Total);
        }

        await using (var check = _harness.Database.CreateDbContext())
        {
            var tokens = await check.Database.SqlQuery<int[]>($"SELECT tokens AS \"Value\" FROM entry_search WHERE relative_path = '공용/영업부/보고서.pdf'").SingleAsync();
            Assert.Contains(SearchTokens.In(_harness.RootId, "공용"), tokens);
            Assert.Contains(SearchTokens.In(_harness.RootId, "공용/영업부"), tokens);
            Assert.DoesNotContain(SearchTokens.In(_harness.RootId, "영업부"), tokens);
        }
    }

    [Theory]
    [InlineData("ㅎㅇㄹ", new[] { "영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp" })]
    [InlineData("회ㅇ", new[] { "영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp" })]
    [InlineData("ㅂㄱㅅ", new[] { "영업부/보고서.pdf", "영업부/주간보고서.docx" })]
    [InlineData("ㅎㄱ ㅂㄱ", new[] { "영업부/회계_보고.xlsx" })]
    [InlineData("보고", new[] { "영업부/보고서.pdf", "영업부/주간보고서.docx", "영업부/회계_보고.xlsx" })]
    public async Task Initial_consonants_find_the_names_they_start_in_every_plan(string text, string[] expected)
    {
        foreach (var plan in Plans)
        {
            var results = await SearchAsync(Admin, new SearchQuery(text, Sort: SearchSort.Name), plan);
            Assert.Equal(expected, Paths(results));
            Assert.Equal(expected.Length, results.Total);
        }
    }

    [Fact]
    public async Task Hangul_typed_with_the_english_layout_is_offered_when_it_finds_something()
    {
        var typed = await SearchAsync(Admin, new SearchQuery("ghldmlfhr"));
        Assert.Empty(typed.Items);
        Assert.Equal("회의록", typed.Suggestion);

        Assert.Null((await SearchAsync(Admin, new SearchQuery("qkqh"))).Suggestion); // 바보: found nowhere
        Assert.Null((await SearchAsync(Admin, new SearchQuery("readme"))).Suggestion);
    }

    [Fact]
    public async Task A_rename_or_a_trash_not_yet_indexed_shows_at_once_in_every_plan()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.RelativePath == "공용/readme.txt")
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Name, "안내문.txt").SetProperty(e => e.NameKey, "안내문.txt")
                    .SetProperty(e => e.RelativePath, "공용/안내문.txt"));
            await db.Entries.Where(e => e.RelativePath == "영업부/보고서.pdf").ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EntryState.Trashed));
        }

        foreach (var plan in Plans)
        {
            Assert.Empty((await SearchAsync(Admin, new SearchQuery("readme"), plan)).Items);
            Assert.Equal(["공용/안내문.txt"], Paths(await SearchAsync(Admin, new SearchQuery("안내"), plan)));
            Assert.Equal(["영업부/주간보고서.docx"], Paths(await SearchAsync(Admin, new SearchQuery("보고서"), plan)));
        }

        var drained = await DrainAsync();
        Assert.Equal(2, drained.Changed);
        Assert.Equal(1, drained.Indexed);
        Assert.Equal(["공용/안내문.txt"], Paths(await SearchAsync(Admin, new SearchQuery("안내"), SearchPlan.Index)));
    }

    [Fact]
    public async Task A_user_denied_a_folder_never_finds_its_entries_through_the_index_even_while_it_lags()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "reader@filevault.local", Roles.User);
        await GrantAsync(user, "", GrantEffect.Allow);
        await GrantAsync(user, "기밀", GrantEffect.Deny);
        foreach (var plan in Plans)
        {
            Assert.Equal(["영업부/회의록_2025.hwp"], Paths(await SearchAsync(user, new SearchQuery("회의록"), plan)));
            Assert.Equal(["영업부/회의록_2025.hwp"], Paths(await SearchAsync(user, new SearchQuery("ㅎㅇㄹ"), plan)));
            Assert.Empty((await SearchAsync(user, new SearchQuery("secret"), plan)).Items);
            Assert.Equal(0, (await SearchAsync(user, new SearchQuery("secret"), plan)).Total);
            // 임원 (typed dladnjs) is only in the denied folder: no suggestion gives it away.
            Assert.Null((await SearchAsync(user, new SearchQuery("dladnjs"), plan)).Suggestion);
            Assert.Equal("임원", (await SearchAsync(Admin, new SearchQuery("dladnjs"), plan)).Suggestion);
        }

        // The file moves into the denied folder; the index still has it where the user may read. The catalog decides.
        await using (var db = _harness.Database.CreateDbContext())
        {
            var denied = await db.Entries.SingleAsync(e => e.RelativePath == "기밀");
            await db.Entries.Where(e => e.RelativePath == "공용/readme.txt")
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.RelativePath, "기밀/readme.txt").SetProperty(e => e.ParentId, denied.Id));
        }

        foreach (var plan in Plans)
        {
            Assert.Empty((await SearchAsync(user, new SearchQuery("readme"), plan)).Items);
            Assert.Equal(["기밀/readme.txt"], Paths(await SearchAsync(Admin, new SearchQuery("readme"), plan)));
        }

        // A grant taken away needs no index change at all.
        await DrainAsync();
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.UserId == user.UserId && g.Effect == GrantEffect.Allow).ExecuteDeleteAsync();
        }

        foreach (var plan in Plans)
        {
            Assert.Empty((await SearchAsync(user, new SearchQuery("회의록"), plan)).Items);
        }
    }

    [Fact]
    public async Task A_cursor_written_by_hand_into_a_denied_folders_names_reveals_nothing_in_any_plan()
    {
        var whole = await HarnessUsers.CreateAsync(_harness, "cursor-whole@filevault.local", Roles.User);
        await GrantAsync(whole, "", GrantEffect.Allow);
        await GrantAsync(whole, "기밀", GrantEffect.Deny);
        var folders = await HarnessUsers.CreateAsync(_harness, "cursor-folders@filevault.local", Roles.User);
        await GrantAsync(folders, "영업부", GrantEffect.Allow);
        await GrantAsync(folders, "공용", GrantEffect.Allow);
        var epoch = DateTimeOffset.UnixEpoch;
        foreach (var user in new[] { whole, folders })
        {
            foreach (var (text, sort, descending) in new (string?, SearchSort, bool)[]
            {
                (null, SearchSort.Name, false), ("회의록", SearchSort.Relevance, false), ("e", SearchSort.Name, true),
                (null, SearchSort.Size, false), ("회의록", SearchSort.Modified, true),
            })
            {
                var query = new SearchQuery(text, Sort: sort, Descending: descending, PageSize: SearchQuery.MaxPageSize);
                foreach (var plan in Plans)
                {
                    var readable = await SearchAsync(user, query, plan);
                    // Just before the denied folder's names, at every tier, and at the ends of every key.
                    foreach (var key in new[] { "기밀", "회의록_임원.hwp", "secret-plan.txt", "secret", "", "\uffff" })
                    {
                        foreach (var (tier, size, modified, id) in new[] { (0, 0L, epoch, 1L), (1, 7L, epoch, long.MaxValue), (2, long.MaxValue, DateTimeOffset.MaxValue.AddYears(-1), 1L) })
                        {
                            var after = new SearchCursor(0, new SearchCursorKey(sort, query.SortsDescending, tier, key, size, modified, id));
                            var results = await SearchAsync(user, query with { After = after }, plan);
                            Assert.All(Paths(results), path => Assert.False(path.StartsWith("기밀", StringComparison.Ordinal), $"{plan} {sort} after {key}: {path}"));
                            Assert.Equal(readable.Total, results.Total);
                            Assert.All(results.Items, hit => Assert.Contains(hit.Id, readable.Items.Select(r => r.Id)));
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public async Task A_user_scoped_to_one_folder_is_answered_by_path_and_by_index_alike()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "sales@filevault.local", Roles.User);
        await GrantAsync(user, "영업부", GrantEffect.Allow);
        var byScope = await SearchAsync(user, new SearchQuery("보고", Sort: SearchSort.Name), SearchPlan.Scope);
        Assert.Equal(SearchPlan.Scope, byScope.Plan);
        Assert.Equal(["영업부/보고서.pdf", "영업부/주간보고서.docx", "영업부/회계_보고.xlsx"], Paths(byScope));
        Assert.Equal(Paths(byScope), Paths(await SearchAsync(user, new SearchQuery("보고", Sort: SearchSort.Name), SearchPlan.Index)));
    }

    [Fact]
    public async Task A_user_granted_several_folders_with_a_deny_inside_one_gets_the_same_answer_from_every_plan()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "two@filevault.local", Roles.User);
        await GrantAsync(user, "영업부", GrantEffect.Allow);
        await GrantAsync(user, "기밀", GrantEffect.Allow);
        await GrantAsync(user, "공용", GrantEffect.Allow);
        await GrantAsync(user, "기밀/secret-plan.txt", GrantEffect.Deny);
        foreach (var plan in Plans)
        {
            var results = await SearchAsync(user, new SearchQuery("e", Sort: SearchSort.Name), plan);
            Assert.Equal(["공용/readme.txt"], Paths(results));
            Assert.Equal(1, results.Total);
            Assert.Equal(["영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp"], Paths(await SearchAsync(user, new SearchQuery("회의록", Sort: SearchSort.Name), plan)));
        }
    }

    [Fact]
    public async Task Nested_grants_a_sibling_with_the_same_prefix_a_whole_root_and_many_grants_give_every_plan_the_catalogs_answer()
    {
        // 영업부-old sorts between 영업부 and 영업부/ bytewise ('-' < '/'): a range [영업부, 영업부0) holds it, an exact subtree does not.
        foreach (var path in new[] { "영업부-old/보고서_old.pdf", "영업부/2024/보고서_2024.pdf", "영업부/2024/깊이/보고서_deep.pdf", "공용/보고서_공용.pdf" })
        {
            _harness.WriteFile(path, path);
        }

        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        await DrainAsync();
        var nested = await HarnessUsers.CreateAsync(_harness, "nested@filevault.local", Roles.User);
        await GrantAsync(nested, "영업부", GrantEffect.Allow);
        await GrantAsync(nested, "영업부/2024", GrantEffect.Allow);
        await GrantAsync(nested, "영업부/2024/깊이", GrantEffect.Deny);
        var whole = await HarnessUsers.CreateAsync(_harness, "whole@filevault.local", Roles.User);
        await GrantAsync(whole, "", GrantEffect.Allow);
        await GrantAsync(whole, "공용", GrantEffect.Allow);
        await GrantAsync(whole, "영업부-old", GrantEffect.Deny);
        var many = await HarnessUsers.CreateAsync(_harness, "many@filevault.local", Roles.User);
        await GrantAsync(many, "영업부-old", GrantEffect.Allow);
        for (var i = 0; i < 70; i++)
        {
            // More allows than a statement writes out as constants: the grants are joined instead.
            await GrantAsync(many, $"없는폴더_{i}", GrantEffect.Allow);
        }

        var expected = new Dictionary<string, string[]>
        {
            ["nested"] = ["영업부/2024/보고서_2024.pdf", "영업부/보고서.pdf", "영업부/주간보고서.docx"],
            ["whole"] = ["공용/보고서_공용.pdf", "영업부/2024/깊이/보고서_deep.pdf", "영업부/2024/보고서_2024.pdf", "영업부/보고서.pdf", "영업부/주간보고서.docx"],
            ["many"] = ["영업부-old/보고서_old.pdf"],
        };
        foreach (var (name, user) in new[] { ("nested", nested), ("whole", whole), ("many", many) })
        {
            foreach (var plan in Plans)
            {
                var results = await SearchAsync(user, new SearchQuery("보고서", Sort: SearchSort.Name), plan);
                Assert.Equal(expected[name].Order(StringComparer.Ordinal), Paths(results).Order(StringComparer.Ordinal));
                Assert.Equal(expected[name].Length, results.Total);
                var everything = await SearchAsync(user, new SearchQuery(Type: SearchType.Files, Sort: SearchSort.Size), plan);
                var catalog = await SearchAsync(user, new SearchQuery(Type: SearchType.Files, Sort: SearchSort.Size), SearchPlan.Catalog);
                Assert.Equal(Paths(catalog), Paths(everything));
                Assert.Equal(catalog.Total, everything.Total);
            }
        }

        // The granted folder's own row is found by its name; a folder scope finds what is below it, not itself.
        Assert.Equal(["영업부/2024"], Paths(await SearchAsync(nested, new SearchQuery("2024", Type: SearchType.Folders), SearchPlan.Scope)));
    }

    [Fact]
    public async Task A_user_granted_two_folders_searching_in_one_gets_that_folders_matches_only_in_every_plan()
    {
        // The grant rule is ANDed with the words and the folder scope: a rule of several grants written without its
        // own parentheses let every row of the second grant through, whatever the words and the scope.
        var user = await HarnessUsers.CreateAsync(_harness, "scoped-two@filevault.local", Roles.User);
        await GrantAsync(user, "영업부", GrantEffect.Allow);
        await GrantAsync(user, "공용", GrantEffect.Allow);
        long folder;
        await using (var db = _harness.Database.CreateDbContext())
        {
            folder = await db.Entries.Where(e => e.RelativePath == "영업부").Select(e => e.Id).SingleAsync();
        }

        foreach (var plan in Plans)
        {
            Assert.Equal(["영업부/보고서.pdf", "영업부/주간보고서.docx"], Paths(await SearchAsync(user, new SearchQuery("보고서", FolderId: folder, Sort: SearchSort.Name), plan)));
            var elsewhere = await SearchAsync(user, new SearchQuery("readme", FolderId: folder), plan);
            Assert.Empty(elsewhere.Items);
            Assert.Equal(0, elsewhere.Total);
            Assert.Equal(["공용/readme.txt"], Paths(await SearchAsync(user, new SearchQuery("readme"), plan)));
        }
    }

    [Fact]
    public async Task No_plan_reads_the_entries_or_the_index_table_whole()
    {
        // Enough rows that a sequential scan would be the planner's own choice for a broad word.
        await AddFilesAsync("자료_", 20000, firstInode: 5000);

        await DrainAsync();
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE entries; ANALYZE entry_search");
        }

        _harness.Get<SearchStatistics>().Invalidate();
        var user = await HarnessUsers.CreateAsync(_harness, "explain@filevault.local", Roles.User);
        await GrantAsync(user, "공용", GrantEffect.Allow);
        long folder;
        await using (var db = _harness.Database.CreateDbContext())
        {
            folder = await db.Entries.Where(e => e.RelativePath == "공용").Select(e => e.Id).SingleAsync();
        }

        var queries = new[]
        {
            new SearchQuery("자료"), new SearchQuery("자"), new SearchQuery("자료_1999"), new SearchQuery("zzzz"), new SearchQuery("ㅈㄹ"),
            new SearchQuery("자료", Extensions: ["txt"], MinSize: 10, MaxSize: 5000), new SearchQuery(Type: SearchType.Documents),
            new SearchQuery("자료", Sort: SearchSort.Size, Descending: true), new SearchQuery("자료", Offset: 5000),
            new SearchQuery("자료_1", FolderId: folder),
        };
        foreach (var subject in new[] { Admin, user })
        {
            foreach (var query in queries)
            {
                await using var scope = _harness.CreateScope();
                var search = scope.ServiceProvider.GetRequiredService<PostgresSearch>();
                search.Explained = [];
                var result = await search.SearchAsync(subject, query, CancellationToken.None);
                Assert.True(result.IsSuccess, result.Error?.ToString());
                var plans = string.Join("\n", search.Explained);
                Assert.NotEmpty(search.Explained);
                Assert.DoesNotContain("Seq Scan on entries", plans, StringComparison.Ordinal);
                Assert.DoesNotContain("Seq Scan on entry_search", plans, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_word_with_one_extension_is_one_GIN_key_and_a_user_denied_a_folder_finds_none_of_its_files_through_it()
    {
        var user = await HarnessUsers.CreateAsync(_harness, "one-extension@filevault.local", Roles.User);
        await GrantAsync(user, "", GrantEffect.Allow);
        await GrantAsync(user, "기밀", GrantEffect.Deny);
        var query = new SearchQuery("회의록", Extensions: ["hwp"], Sort: SearchSort.Name);
        foreach (var plan in Plans)
        {
            Assert.Equal(["영업부/회의록_2025.hwp"], Paths(await SearchAsync(user, query, plan)));
            Assert.Equal(1, (await SearchAsync(user, query, plan)).Total);
            Assert.Equal(["영업부/회의록_2025.hwp", "기밀/회의록_임원.hwp"], Paths(await SearchAsync(Admin, query, plan)));
            // The denied file's own name, its extension alone and its 초성: nothing, and no total that counts it.
            foreach (var denied in new[]
            {
                new SearchQuery("임원", Extensions: ["hwp"]), new SearchQuery(Extensions: ["hwp"], Sort: SearchSort.Name), new SearchQuery("ㅇㅇ", Extensions: ["hwp"]),
            })
            {
                var results = await SearchAsync(user, denied, plan);
                Assert.DoesNotContain(results.Items, h => h.FolderPath == "기밀");
                Assert.Equal(results.Items.Count, results.Total);
            }
        }

        // The index plan hands the GIN index the words' tokens and the extension's as one condition, no overlap (&&) beside.
        await using var scope = _harness.CreateScope();
        var search = scope.ServiceProvider.GetRequiredService<PostgresSearch>();
        search.Explained = [];
        var found = (await search.SearchAsync(user, query, SearchPlan.Index, CancellationToken.None)).Value;
        Assert.Equal(["영업부/회의록_2025.hwp"], Paths(found));
        var gin = Assert.Single(search.Explained.SelectMany(p => p.Split('\n')), line => line.Contains("Index Cond: (tokens", StringComparison.Ordinal));
        Assert.Contains(SearchTokens.OfExtension("hwp").ToString(System.Globalization.CultureInfo.InvariantCulture), gin, StringComparison.Ordinal);
        Assert.DoesNotContain("&&", gin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pair_far_more_frequent_than_its_words_rarest_is_left_to_the_exact_test_which_keeps_the_answer_exact()
    {
        // 보고 is in many names, 고서 in a few: the GIN condition names 고서 only, and the names holding 고서 (or both
        // pairs apart) without 보고서 are candidates the exact test removes.
        await AddFilesAsync("보고_", 40, firstInode: 300000);
        await AddFilesAsync("참고서_", 1, firstInode: 300100);
        await AddFilesAsync("보고 고서_", 1, firstInode: 300200);
        await DrainAsync();
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE entry_search");
        }

        _harness.Get<SearchStatistics>().Invalidate();
        var frequent = SearchTokens.OfWord("보고").Single(t => !SearchTokens.IsCharacter(t)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rare = SearchTokens.OfWord("고서").Single(t => !SearchTokens.IsCharacter(t)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var user = await HarnessUsers.CreateAsync(_harness, "pairs@filevault.local", Roles.User);
        await GrantAsync(user, "", GrantEffect.Allow);
        await GrantAsync(user, "영업부", GrantEffect.Deny);
        foreach (var plan in Plans)
        {
            var admin = await SearchAsync(Admin, new SearchQuery("보고서", Sort: SearchSort.Name), plan);
            Assert.Equal(["영업부/보고서.pdf", "영업부/주간보고서.docx"], Paths(admin));
            Assert.Equal(2, admin.Total);
            // Both are in the folder the user is denied: the left-out pair lets in no candidate the grants then miss.
            var denied = await SearchAsync(user, new SearchQuery("보고서"), plan);
            Assert.Empty(denied.Items);
            Assert.Equal(0, denied.Total);
        }

        await using var scope = _harness.CreateScope();
        var search = scope.ServiceProvider.GetRequiredService<PostgresSearch>();
        search.Explained = [];
        Assert.Equal(2, (await search.SearchAsync(Admin, new SearchQuery("보고서"), SearchPlan.Index, CancellationToken.None)).Value.Total);
        var gin = Assert.Single(search.Explained.SelectMany(p => p.Split('\n')), line => line.Contains("Index Cond: (tokens", StringComparison.Ordinal));
        Assert.Contains(rare, gin, StringComparison.Ordinal);
        Assert.DoesNotContain(frequent, gin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_a_sample_finds_far_past_the_cap_is_not_counted_and_a_word_that_only_looks_frequent_is()
    {
        await AddFilesAsync("대량_", 40000, firstInode: 200000);

        await DrainAsync();
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE entry_search");
        }

        _harness.Get<SearchStatistics>().Invalidate();
        await using var scope = _harness.CreateScope();
        var search = scope.ServiceProvider.GetRequiredService<PostgresSearch>();

        // 40,000 matches of a word of three characters (of two, the statistics alone measure its one pair): the sample
        // says so, the total reads "10,000+" and no statement counts them.
        search.Explained = [];
        var many = (await search.SearchAsync(Admin, new SearchQuery("대량_"), CancellationToken.None)).Value;
        Assert.Equal((SearchQuery.TotalCap, true), (many.Total, many.TotalIsCapped));
        Assert.Equal(SearchPlan.Walk, many.Plan);
        Assert.Contains(search.Explained, plan => plan.Contains("Sample Scan", StringComparison.Ordinal));
        Assert.DoesNotContain(search.Explained, plan => plan.Contains("ix_entry_search_tokens", StringComparison.Ordinal));

        // Every pair of 대량_3999 is in thousands of names, but the sample finds it rare: counted exactly, from the index.
        search.Explained = [];
        var rare = (await search.SearchAsync(Admin, new SearchQuery("대량_3999"), CancellationToken.None)).Value;
        Assert.Equal((11, false), (rare.Total, rare.TotalIsCapped)); // 3999 and 39990–39999
        Assert.Equal(SearchPlan.Index, rare.Plan);

        // A forced plan counts (what the sample decides is only ever "more than 30,003"): the same word, exactly capped.
        var counted = (await search.SearchAsync(Admin, new SearchQuery("대량_"), SearchPlan.Index, CancellationToken.None)).Value;
        Assert.Equal((SearchQuery.TotalCap, true), (counted.Total, counted.TotalIsCapped));
    }

    [Fact]
    public async Task A_bulk_change_rebuilds_the_index_beside_the_old_one_with_the_same_indexes()
    {
        const string Indexes = """
            SELECT indexname || ': ' || indexdef AS "Value" FROM pg_indexes WHERE tablename = 'entry_search' ORDER BY indexname
            """;
        List<string> before;
        await using (var db = _harness.Database.CreateDbContext())
        {
            before = await db.Database.SqlQueryRaw<string>(Indexes).ToListAsync();
        }

        await AddFilesAsync("일괄_", 500, firstInode: 90000);

        var indexer = _harness.Get<SearchIndexer>();
        indexer.RebuildThreshold = 100;
        var drained = await indexer.DrainAsync();

        Assert.Equal(500, drained.Changed);
        await using (var db = _harness.Database.CreateDbContext())
        {
            // The rebuild re-reads every active entry, not only the queued ones.
            Assert.Equal(await db.Entries.CountAsync(e => e.State == EntryState.Active && e.ParentId != null), drained.Indexed);
            Assert.Equal(before, await db.Database.SqlQueryRaw<string>(Indexes).ToListAsync());
            Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM search_outbox").SingleAsync());
        }

        var found = await SearchAsync(Admin, new SearchQuery("일괄_250"), SearchPlan.Index);
        Assert.Equal(["공용/일괄_250.txt"], Paths(found));
        Assert.Equal(["영업부/보고서.pdf"], Paths(await SearchAsync(Admin, new SearchQuery("보고서.pdf"), SearchPlan.Index)));
    }

    [Fact]
    public async Task Photos_are_found_by_camera_and_day_taken_in_every_plan()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            var parent = await db.Entries.SingleAsync(e => e.RelativePath == "공용");
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, state, device, inode, name_is_valid)
                VALUES ({_harness.RootId}, {parent.Id}, 'IMG_1.jpg', 'img_1.jpg', '공용/IMG_1.jpg', 1, 10, now(), 'jpg', 0, 1, 77001, true),
                       ({_harness.RootId}, {parent.Id}, 'IMG_2.jpg', 'img_2.jpg', '공용/IMG_2.jpg', 1, 10, now(), 'jpg', 0, 1, 77002, true),
                       ({_harness.RootId}, {parent.Id}, 'IMG_3.jpg', 'img_3.jpg', '공용/IMG_3.jpg', 1, 10, now(), 'jpg', 0, 1, 77003, true)
                """);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO entry_media (entry_id, content_length, content_modified_ticks, make, model, taken_at, raw, read_at)
                SELECT id, 10, 0, make, model, taken, jsonb_build_object(), now()
                FROM entries JOIN (VALUES ('img_1.jpg', 'Canon', 'Canon EOS R6', timestamp '2025-05-01 10:00'),
                                          ('img_2.jpg', 'SAMSUNG', 'SM-S918N', timestamp '2025-05-02 23:59'),
                                          ('img_3.jpg', 'Canon', 'Canon EOS 5D', timestamp '2024-12-31 08:00')) AS v(key, make, model, taken)
                     ON entries.name_key = v.key
                """);
        }

        await DrainAsync();
        foreach (var plan in Plans.Append(SearchPlan.Photos))
        {
            Assert.Equal(["공용/img_1.jpg", "공용/img_3.jpg"], Paths(await SearchAsync(Admin, new SearchQuery(Camera: "canon", Sort: SearchSort.Name), plan)));
            Assert.Equal(["공용/img_1.jpg", "공용/img_2.jpg"],
                Paths(await SearchAsync(Admin, new SearchQuery(TakenFrom: new DateOnly(2025, 1, 1), TakenUntil: new DateOnly(2025, 5, 3), Sort: SearchSort.Name), plan)));
            Assert.Equal(["공용/img_1.jpg"], Paths(await SearchAsync(Admin, new SearchQuery("img", Camera: "EOS R6"), plan)));
        }

        // A user who may not read the folder finds no photo of it by its camera either.
        var user = await HarnessUsers.CreateAsync(_harness, "photos@filevault.local", Roles.User);
        await GrantAsync(user, "영업부", GrantEffect.Allow);
        Assert.Empty((await SearchAsync(user, new SearchQuery(Camera: "canon"))).Items);
    }

    /// <summary>Catalogs <paramref name="count"/> files <c>공용/{prefix}{i}.txt</c> (size i) straight into the catalog, as a scan would.</summary>
    private async Task AddFilesAsync(string prefix, int count, int firstInode)
    {
        await using var db = _harness.Database.CreateDbContext();
        var parent = await db.Entries.SingleAsync(e => e.RelativePath == "공용");
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO entries (root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension, state, device, inode, name_is_valid)
            SELECT {_harness.RootId}, {parent.Id}, {prefix} || i || '.txt', {prefix} || i || '.txt', '공용/' || {prefix} || i || '.txt', 1, i, now(), 'txt', 0, 1, {firstInode} + i, true
            FROM generate_series(1, {count}) AS i
            """);
    }

    private async Task<SearchIndexDrain> DrainAsync() => await _harness.Get<SearchIndexer>().DrainAsync();

    private async Task GrantAsync(AccessSubject user, string path, GrantEffect effect)
    {
        await using var db = _harness.Database.CreateDbContext();
        db.FolderGrants.Add(new FolderGrant
        {
            RootId = _harness.RootId, RelativePath = path, UserId = user.UserId, Permissions = Permission.Read, Effect = effect, CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    private async Task<SearchResults> SearchAsync(AccessSubject subject, SearchQuery query, SearchPlan plan = SearchPlan.Auto)
    {
        await using var scope = _harness.CreateScope();
        var result = await scope.ServiceProvider.GetRequiredService<PostgresSearch>().SearchAsync(subject, query, plan, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static List<string> Paths(SearchResults results) =>
        results.Items.Select(h => EntryName.Key(h.FolderPath.Length == 0 ? h.Name : h.FolderPath + "/" + h.Name)).ToList();
}
