using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Search;

/// <summary>
/// A scanned tree with Korean names (one written in NFD, as Macs do), wildcard characters, sizes, dates and descriptions.
/// Its search index is left behind: every entry is still queued, as right after a scan.
/// </summary>
public class SearchCatalogFixture : IAsyncLifetime
{
    /// <summary>Whether the search index is brought up to date after the set-up.</summary>
    protected virtual bool Indexed => false;

    public static readonly string DraftNfd = "견적서_초안.docx".Normalize(NormalizationForm.FormD);

    public ScanHarness Harness { get; private set; } = default!;

    public Dictionary<string, Entry> Catalog { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Harness = await ScanHarness.CreateAsync(root =>
        {
            void Write(string relative, int bytes, string modified = "2024-01-15")
            {
                var path = Path.Combine(root, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, new byte[bytes]);
                File.SetLastWriteTimeUtc(path, DateTime.Parse(modified + "T03:00:00Z", null, System.Globalization.DateTimeStyles.AdjustToUniversal));
            }

            Write("영업부/견적서_2025.xlsx", 5_000, "2025-03-10");
            Write("영업부/" + DraftNfd, 1_200, "2025-05-20");
            Write("영업부/2024/회의록.txt", 10);
            Write("Sales/report.pdf", 300_000);
            Write("Sales/Q1 report.xlsx", 20);
            Write("Sales-Confidential/report.pdf", 7);
            Write("Sales-Confidential/salary.xlsx", 8);
            Write("공용/100%_완료.txt", 3);
            Write("공용/a_b.txt", 4);
            Write("공용/axb.txt", 5);
            Write("공용/reports-2024.txt", 6);
            Write("사진/IMG_0001.jpg", 900);
            Write("사진/가.png", 901);
        });
        var run = await Harness.ScanAsync(ScanKind.Full);
        Assert.Equal(ScanStatus.Completed, run.Status);
        await using (var db = Harness.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.RelativePath == "Sales/report.pdf")
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, "2025년 1분기 실적 요약 보고서입니다. 지역별 매출과 2분기 계획을 담았습니다. Quarterly Summary for the board, with the sales figures of every region and the plan for the second quarter, written by the sales team in March."));
            await db.Entries.Where(e => e.RelativePath == "공용/axb.txt").ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, "회의 메모"));
        }

        Catalog = await Harness.CatalogAsync();
        if (Indexed)
        {
            var drained = await Harness.Get<SearchIndexer>().DrainAsync();
            Assert.True(drained.Indexed >= Catalog.Count - 1, $"{drained.Indexed} entries indexed");
        }
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>The same tree with its search index up to date.</summary>
public sealed class IndexedSearchCatalogFixture : SearchCatalogFixture
{
    protected override bool Indexed => true;
}

/// <summary>The search contract as the engine plans it, on an index that is up to date.</summary>
public sealed class PostgresSearchTests(IndexedSearchCatalogFixture fixture)
    : PostgresSearchContract(fixture, SearchPlan.Auto), IClassFixture<IndexedSearchCatalogFixture>;

/// <summary>The search contract with every candidate from the GIN token index.</summary>
public sealed class PostgresSearchIndexPlanTests(IndexedSearchCatalogFixture fixture)
    : PostgresSearchContract(fixture, SearchPlan.Index), IClassFixture<IndexedSearchCatalogFixture>;

/// <summary>The search contract walking the sort's index (the plan of frequent words).</summary>
public sealed class PostgresSearchWalkPlanTests(IndexedSearchCatalogFixture fixture)
    : PostgresSearchContract(fixture, SearchPlan.Walk), IClassFixture<IndexedSearchCatalogFixture>;

/// <summary>The search contract read from the catalog alone, as while the index catches up with a bulk change.</summary>
public sealed class PostgresSearchCatalogPlanTests(IndexedSearchCatalogFixture fixture)
    : PostgresSearchContract(fixture, SearchPlan.Catalog), IClassFixture<IndexedSearchCatalogFixture>;

/// <summary>The search contract while every entry is still queued for the index (read from the catalog beside it).</summary>
public sealed class PostgresSearchQueuedTests(SearchCatalogFixture fixture)
    : PostgresSearchContract(fixture, SearchPlan.Auto), IClassFixture<SearchCatalogFixture>;

/// <summary>
/// The search engine on a real catalog: what a word finds, how filters narrow, how results are ordered and paged. Run
/// once per plan (the subclasses above): every plan must give the same answers.
/// </summary>
public abstract class PostgresSearchContract(SearchCatalogFixture fixture, SearchPlan plan)
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);

    [Fact]
    public async Task A_query_typed_in_NFC_finds_a_name_written_in_NFD_and_marks_the_whole_match()
    {
        var results = await SearchAsync(new SearchQuery("견적서_초안"));

        var hit = Assert.Single(results.Items);
        Assert.Equal(SearchCatalogFixture.DraftNfd, hit.Name);
        Assert.Equal("영업부", hit.FolderPath);
        Assert.Equal(fixture.Catalog["영업부"].Id, hit.ParentId);
        // "견적서_초안" is 6 characters in NFC and 15 code units in NFD: the mark covers all of them.
        Assert.Equal([new TextSpan(0, "견적서_초안".Normalize(NormalizationForm.FormD).Length)], hit.NameMatches);
    }

    [Fact]
    public async Task One_and_two_character_korean_words_are_found_without_an_index()
    {
        Assert.Equal(["사진/가.png"], await PathsAsync(new SearchQuery("가")));
        Assert.Equal(["영업부/견적서_2025.xlsx", "영업부/" + SearchCatalogFixture.DraftNfd], await PathsAsync(new SearchQuery("견적", Sort: SearchSort.Name)));
        Assert.Equal(["영업부/" + SearchCatalogFixture.DraftNfd], await PathsAsync(new SearchQuery("초안")));
    }

    [Fact]
    public async Task Every_word_must_be_in_the_name_or_the_description()
    {
        Assert.Equal(["영업부/" + SearchCatalogFixture.DraftNfd], await PathsAsync(new SearchQuery("견적서  초안")));
        Assert.Equal(["Sales/Q1 report.xlsx"], await PathsAsync(new SearchQuery("REPORT xlsx")));
        // One word from the name, one from the description.
        Assert.Equal(["Sales/report.pdf"], await PathsAsync(new SearchQuery("report 실적")));
        Assert.Empty(await PathsAsync(new SearchQuery("견적서 report")));
    }

    [Fact]
    public async Task A_description_typed_on_a_mac_in_NFD_is_stored_in_NFC_and_found_by_an_NFC_word()
    {
        await using (var scope = fixture.Harness.CreateScope())
        {
            var saved = await scope.ServiceProvider.GetRequiredService<EntryService>()
                .UpdateDescriptionAsync(Admin, fixture.Catalog["사진/가.png"].Id, "결재 서류 원본".Normalize(NormalizationForm.FormD), CancellationToken.None);
            Assert.True(saved.IsSuccess, saved.Error?.ToString());
            Assert.Equal("결재 서류 원본", saved.Value.Description);
        }

        Assert.Equal(["사진/가.png"], await PathsAsync(new SearchQuery("결재 원본")));
    }

    [Fact]
    public async Task A_description_word_is_found_in_any_case_with_a_snippet_around_it()
    {
        var hit = Assert.Single((await SearchAsync(new SearchQuery("QUARTERLY"))).Items);

        Assert.Equal("report.pdf", hit.Name);
        Assert.Contains("Quarterly Summary", hit.Snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", hit.Snippet, StringComparison.Ordinal);
        var mark = Assert.Single(hit.SnippetMatches);
        Assert.Equal("Quarterly", hit.Snippet!.Substring(mark.Start, mark.Length));
        Assert.Equal(["공용/axb.txt"], await PathsAsync(new SearchQuery("회의 메모")));
    }

    [Fact]
    public async Task Extension_words_and_lists_keep_files_with_those_extensions()
    {
        // By name: "q1 report.xlsx", "salary.xlsx", "견적서_2025.xlsx".
        string[] spreadsheets = ["Sales/Q1 report.xlsx", "Sales-Confidential/salary.xlsx", "영업부/견적서_2025.xlsx"];
        Assert.Equal(spreadsheets, await PathsAsync(new SearchQuery("ext:XLSX", Sort: SearchSort.Name)));
        Assert.Equal(["Sales/Q1 report.xlsx"], await PathsAsync(new SearchQuery("report ext:xlsx")));
        Assert.Equal(["Sales-Confidential/report.pdf", "Sales/Q1 report.xlsx", "Sales/report.pdf"],
            (await PathsAsync(new SearchQuery("report", Extensions: [".pdf", "xlsx"]))).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(SearchType.Folders, new[] { "Sales", "Sales-Confidential", "공용", "사진", "영업부", "영업부/2024" })]
    [InlineData(SearchType.Spreadsheets, new[] { "Sales-Confidential/salary.xlsx", "Sales/Q1 report.xlsx", "영업부/견적서_2025.xlsx" })]
    [InlineData(SearchType.Images, new[] { "사진/IMG_0001.jpg", "사진/가.png" })]
    [InlineData(SearchType.Documents, new[] { "Sales-Confidential/report.pdf", "Sales/report.pdf", "공용/100%_완료.txt", "공용/a_b.txt", "공용/axb.txt", "공용/reports-2024.txt", "영업부/2024/회의록.txt", "영업부/견적서_초안.docx" })]
    [InlineData(SearchType.Archives, new string[0])]
    public async Task The_type_filter_keeps_folders_or_files_of_one_type_group(SearchType type, string[] expected)
    {
        var paths = await PathsAsync(new SearchQuery(Type: type, PageSize: 200));

        Assert.Equal(expected.Select(p => p.Normalize()).Order(StringComparer.Ordinal), paths.Select(p => p.Normalize()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Size_bounds_keep_files_within_them_and_leave_folders_out()
    {
        Assert.Equal(["Sales/report.pdf", "영업부/견적서_2025.xlsx", "영업부/" + SearchCatalogFixture.DraftNfd],
            await PathsAsync(new SearchQuery(MinSize: 1_000, Sort: SearchSort.Size, Descending: true)));
        Assert.Equal(["영업부/" + SearchCatalogFixture.DraftNfd], await PathsAsync(new SearchQuery(MinSize: 1_000, MaxSize: 1_200)));
        Assert.DoesNotContain("Sales", await PathsAsync(new SearchQuery(MaxSize: 10, PageSize: 200)));
    }

    [Fact]
    public async Task The_modified_range_includes_its_start_and_excludes_its_end()
    {
        var march = new DateTimeOffset(2025, 3, 10, 3, 0, 0, TimeSpan.Zero);

        Assert.Equal(["영업부/견적서_2025.xlsx"], await PathsAsync(new SearchQuery(ModifiedFrom: march, ModifiedUntil: march.AddMonths(1))));
        Assert.Empty(await PathsAsync(new SearchQuery(ModifiedFrom: march.AddDays(-1), ModifiedUntil: march)));
        // Folders were modified when the tree was written, today.
        Assert.Equal(["영업부/" + SearchCatalogFixture.DraftNfd], await PathsAsync(new SearchQuery(Type: SearchType.Files, ModifiedFrom: march.AddTicks(10))));
    }

    [Fact]
    public async Task A_scope_folder_covers_its_subtree_and_not_a_sibling_whose_name_starts_the_same()
    {
        Assert.Equal(["Sales/Q1 report.xlsx", "Sales/report.pdf"],
            await PathsAsync(new SearchQuery("report", FolderId: fixture.Catalog["Sales"].Id, Sort: SearchSort.Name, Descending: false)));
        Assert.Equal(["영업부/2024/회의록.txt"], await PathsAsync(new SearchQuery("회의록", FolderId: fixture.Catalog["영업부"].Id)));
        Assert.Equal(["Sales-Confidential/report.pdf"], await PathsAsync(new SearchQuery("report", FolderId: fixture.Catalog["Sales-Confidential"].Id)));

        var file = await SearchResultAsync(new SearchQuery("report", FolderId: fixture.Catalog["Sales/report.pdf"].Id));
        var unknown = await SearchResultAsync(new SearchQuery("report", FolderId: 999_999_999));
        Assert.Equal("entry.not_a_folder", file.Error?.Code);
        Assert.Equal("entry.not_found", unknown.Error?.Code);
    }

    [Fact]
    public async Task LIKE_wildcards_in_a_word_are_literal_characters()
    {
        Assert.Equal(["공용/100%_완료.txt"], await PathsAsync(new SearchQuery("%")));
        Assert.Equal(["공용/a_b.txt"], await PathsAsync(new SearchQuery("a_b")));
        Assert.Equal(["공용/100%_완료.txt"], await PathsAsync(new SearchQuery("0%_")));
        Assert.Empty(await PathsAsync(new SearchQuery("\\")));
    }

    [Fact]
    public async Task Relevance_puts_exact_names_first_then_names_starting_with_the_words_then_the_rest_by_name()
    {
        var paths = await PathsAsync(new SearchQuery("report"));

        // Both report.pdf are exact ("report" and its extension), in id order; descending does not turn relevance around.
        var exact = fixture.Catalog.Values.Where(e => e.Name == "report.pdf").OrderBy(e => e.Id).Select(e => e.RelativePath);
        Assert.Equal([.. exact, "공용/reports-2024.txt", "Sales/Q1 report.xlsx"], paths);
        Assert.Equal(paths, await PathsAsync(new SearchQuery("report", Descending: true)));
    }

    [Theory]
    [InlineData(SearchSort.Name, false)]
    [InlineData(SearchSort.Name, true)]
    [InlineData(SearchSort.Size, false)]
    [InlineData(SearchSort.Size, true)]
    [InlineData(SearchSort.Modified, false)]
    [InlineData(SearchSort.Modified, true)]
    [InlineData(SearchSort.Relevance, false)]
    public async Task Pages_walked_to_the_end_list_every_match_once_in_the_sort_order(SearchSort sort, bool descending)
    {
        var walked = new List<SearchHit>();
        int total;
        do
        {
            var page = await SearchAsync(new SearchQuery(Sort: sort, Descending: descending, Offset: walked.Count, PageSize: 4));
            total = page.Total;
            walked.AddRange(page.Items);
            if (page.Items.Count == 0)
            {
                break;
            }
        }
        while (walked.Count < total);

        var rows = fixture.Catalog.Values.ToList();
        IComparer<Entry> order = Comparer<Entry>.Create((a, b) =>
        {
            var key = sort switch
            {
                SearchSort.Size => a.Size.CompareTo(b.Size),
                SearchSort.Modified => a.ModifiedAt.CompareTo(b.ModifiedAt),
                _ => 0,
            };
            key = key != 0 ? key : string.CompareOrdinal(a.NameKey, b.NameKey);
            key = key != 0 ? key : a.Id.CompareTo(b.Id);
            return descending ? -key : key;
        });
        Assert.Equal(rows.Count, total);
        Assert.Equal(rows.Order(order).Select(e => e.Id), walked.Select(h => h.Id));
    }

    [Theory]
    [InlineData(SearchSort.Name, false, null)]
    [InlineData(SearchSort.Name, true, null)]
    [InlineData(SearchSort.Size, false, null)]
    [InlineData(SearchSort.Size, true, null)]
    [InlineData(SearchSort.Modified, false, null)]
    [InlineData(SearchSort.Modified, true, null)]
    [InlineData(SearchSort.Relevance, false, null)]
    [InlineData(SearchSort.Relevance, false, "report")]
    [InlineData(SearchSort.Relevance, false, "a")]
    [InlineData(SearchSort.Name, true, "a")]
    [InlineData(SearchSort.Size, false, "r")]
    public async Task Pages_walked_by_their_next_cursor_are_the_pages_walked_by_offset(SearchSort sort, bool descending, string? text)
    {
        // One row a page: every row is a page boundary, the two report.pdf (one name, two folders) and the many
        // entries of one size or one modification time included.
        var query = new SearchQuery(text, Sort: sort, Descending: descending, PageSize: 1);
        var byOffset = new List<long>();
        SearchResults page;
        do
        {
            page = await SearchAsync(query with { Offset = byOffset.Count });
            byOffset.AddRange(page.Items.Select(h => h.Id));
        }
        while (page.Items.Count > 0 && byOffset.Count < page.Total);

        var byCursor = new List<long>();
        SearchCursor? after = null;
        for (var pages = 0; pages <= byOffset.Count; pages++)
        {
            page = await SearchAsync(query with { After = after });
            byCursor.AddRange(page.Items.Select(h => h.Id));
            Assert.Equal(byOffset.Count, page.Total);
            if (page.Next is null)
            {
                break;
            }

            after = SearchCursor.Parse(page.Next).Value;
            Assert.Equal(byCursor.Count, after.Position);
        }

        Assert.True(byOffset.Count >= (text is null ? fixture.Catalog.Count - 1 : 3), $"{byOffset.Count} matches");
        Assert.Equal(byOffset, byCursor);
    }

    [Fact]
    public async Task A_cursor_after_the_last_row_gives_an_empty_page_and_the_whole_total()
    {
        var all = await SearchAsync(new SearchQuery("report", Sort: SearchSort.Name, PageSize: SearchQuery.MaxPageSize));
        var last = all.Items[^1];
        var after = new SearchCursor(all.Total, new SearchCursorKey(SearchSort.Name, false, 0, EntryName.Key(last.Name), last.Size, last.ModifiedAt, last.Id));

        var page = await SearchAsync(new SearchQuery("report", Sort: SearchSort.Name, After: after));

        Assert.Empty(page.Items);
        Assert.Null(page.Next);
        Assert.Equal(all.Total, page.Total);
        Assert.Null(all.Next);
    }

    [Theory]
    [InlineData("search.query_too_long")]
    [InlineData("search.too_many_terms")]
    [InlineData("search.extension_invalid")]
    [InlineData("search.size_invalid")]
    [InlineData("search.date_invalid")]
    [InlineData("search.page_invalid")]
    [InlineData("search.cursor_invalid")]
    public async Task Input_past_the_limits_is_refused_with_its_code(string code)
    {
        var day = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        SearchQuery[] refused = code switch
        {
            "search.query_too_long" => [new(new string('가', SearchQuery.MaxTextLength + 1))],
            "search.too_many_terms" => [new(string.Join(' ', Enumerable.Range(1, SearchQuery.MaxWords + 1)))],
            "search.extension_invalid" => [new("ext:"), new("ext:pdf,"), new(Extensions: [new string('x', 33)]),
                new(Extensions: Enumerable.Range(1, SearchQuery.MaxExtensions + 1).Select(i => "e" + i).ToList())],
            "search.size_invalid" => [new(MinSize: -1), new(MinSize: 10, MaxSize: 9)],
            "search.date_invalid" => [new(ModifiedFrom: day, ModifiedUntil: day), new(ModifiedFrom: day, ModifiedUntil: day.AddDays(-1))],
            "search.cursor_invalid" => [new(Offset: 1, After: new SearchCursor(0, null)), new(After: new SearchCursor(SearchQuery.TotalCap + 1, null)),
                new(Sort: SearchSort.Size, After: new SearchCursor(1, new SearchCursorKey(SearchSort.Name, false, 2, "a", 0, day, 1))),
                new(Sort: SearchSort.Name, After: new SearchCursor(1, new SearchCursorKey(SearchSort.Name, true, 2, "a", 0, day, 1))),
                new(Sort: SearchSort.Name, Descending: true, After: new SearchCursor(1, new SearchCursorKey(SearchSort.Name, false, 2, "a", 0, day, 1)))],
            _ => [new(PageSize: 0), new(PageSize: SearchQuery.MaxPageSize + 1), new(Offset: -1), new(Offset: SearchQuery.TotalCap + 1)],
        };

        foreach (var query in refused)
        {
            Assert.Equal(code, (await SearchResultAsync(query)).Error?.Code);
        }

        // The limits themselves are allowed.
        Assert.True((await SearchResultAsync(new SearchQuery(string.Join(' ', Enumerable.Repeat("가", SearchQuery.MaxWords)), Offset: SearchQuery.TotalCap,
            PageSize: SearchQuery.MaxPageSize))).IsSuccess);
    }

    private async Task<SearchResults> SearchAsync(SearchQuery query)
    {
        var result = await SearchResultAsync(query);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private async Task<FileVault.Core.Result<SearchResults>> SearchResultAsync(SearchQuery query)
    {
        await using var scope = fixture.Harness.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PostgresSearch>().SearchAsync(Admin, query, plan, CancellationToken.None);
    }

    /// <summary>The relative paths of the first page, in result order; the total must agree with what a full page shows.</summary>
    private async Task<List<string>> PathsAsync(SearchQuery query)
    {
        var results = await SearchAsync(query with { PageSize = SearchQuery.MaxPageSize });
        Assert.Equal(results.Items.Count, results.Total);
        return results.Items.Select(h => h.FolderPath.Length == 0 ? h.Name : h.FolderPath + "/" + h.Name).ToList();
    }
}
