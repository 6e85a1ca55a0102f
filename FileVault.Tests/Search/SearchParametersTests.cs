using System.Text;
using FileVault.Core.Search;

namespace FileVault.Tests.Search;

/// <summary>A search as link parameters and back: what the page writes into its URL and the API reads.</summary>
public sealed class SearchParametersTests
{
    private static readonly TimeZoneInfo Seoul = TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul");

    [Fact]
    public void A_query_written_as_parameters_reads_back_the_same()
    {
        var query = new SearchQuery("보고서 ext:pdf", ["docx", "hwp"], SearchType.Documents, 1_024, 5_000_000,
            new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.FromHours(9)), new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)),
            42, SearchSort.Modified, true, 100, 20, "Canon EOS", new DateOnly(2025, 5, 1), new DateOnly(2025, 6, 1));

        var parameters = SearchParameters.From(query, Seoul);
        var read = parameters.ToQuery(Seoul).Value;

        Assert.Equal("2025-03-01", parameters.ModifiedFrom);
        Assert.Equal("2025-03-31", parameters.ModifiedTo);
        Assert.Equal("2025-05-31", parameters.TakenTo);
        Assert.Equal(query with { Extensions = null }, read with { Extensions = null });
        Assert.Equal(query.Extensions, read.Extensions);
    }

    [Fact]
    public void A_cursor_written_into_a_link_reads_back_to_the_same_position_to_the_microsecond()
    {
        var modified = new DateTimeOffset(2025, 3, 1, 9, 30, 15, TimeSpan.FromHours(9)).AddTicks(1_234_560);
        var cursor = new SearchCursor(5_050, new SearchCursorKey(SearchSort.Modified, true, 0, "보고서 (1).pdf", 42, modified, 987_654_321));
        var query = new SearchQuery("보고서", Sort: SearchSort.Modified, Descending: true, After: cursor);

        var read = SearchParameters.From(query, Seoul).ToQuery(Seoul).Value;

        Assert.Equal(query, read);
        Assert.Equal(new SearchCursor(7, null), SearchCursor.Parse(new SearchCursor(7, null).Encode()).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("!!!")]
    [InlineData("aGVsbG8")]
    [InlineData("WzEsMl0")]
    [InlineData("bnVsbA")]
    [InlineData("eyJWIjoxLCJQIjotMX0")]
    [InlineData("eyJWIjoyLCJQIjowfQ")]
    [InlineData("eyJWIjoxLCJQIjoyMTQ3NDgzNjQ3fQ")]
    [InlineData("eyJWIjoxLCJQIjowLCJTIjoxLCJEIjpmYWxzZSwiVCI6NywiSyI6ImEiLCJaIjowLCJNIjowLCJJIjoxfQ")]
    public void A_cursor_that_is_not_one_is_refused_with_its_code(string text)
    {
        Assert.Equal("search.cursor_invalid", SearchCursor.Parse(text).Error?.Code);
        if (text.Length > 0)
        {
            Assert.Equal("search.cursor_invalid", new SearchParameters(After: text).ToQuery(Seoul).Error?.Code);
        }
    }

    [Fact]
    public void Days_are_whole_days_of_the_server_zone_and_the_last_one_is_included()
    {
        var query = new SearchParameters(ModifiedFrom: "2025-03-01", ModifiedTo: "2025-03-31").ToQuery(Seoul).Value;

        Assert.Equal(new DateTimeOffset(2025, 2, 28, 15, 0, 0, TimeSpan.Zero), query.ModifiedFrom);
        Assert.Equal(new DateTimeOffset(2025, 3, 31, 15, 0, 0, TimeSpan.Zero), query.ModifiedUntil);
    }

    [Fact]
    public void Defaults_are_left_out_of_the_link_and_values_are_percent_encoded()
    {
        Assert.Equal("", SearchParameters.From(new SearchQuery(), Seoul).ToQueryString());
        Assert.Equal("q=" + Uri.EscapeDataString("100% 보고서") + "&type=images&folder=7",
            SearchParameters.From(new SearchQuery("100% 보고서", Type: SearchType.Images, FolderId: 7), Seoul).ToQueryString());
    }

    [Theory]
    [InlineData("minSize", "-1", "search.size_invalid")]
    [InlineData("minSize", "1e3", "search.size_invalid")]
    [InlineData("offset", "99999999999", "search.page_invalid")]
    [InlineData("type", "7", "search.type_invalid")]
    [InlineData("sort", "newest", "search.sort_invalid")]
    [InlineData("modifiedFrom", "01/03/2025", "search.date_invalid")]
    [InlineData("takenFrom", "2025-05-01T10:00:00+09:00", "search.photo_invalid")]
    [InlineData("folder", "12a", "search.folder_invalid")]
    public void A_value_that_is_not_understood_is_named_by_its_code(string name, string value, string code)
    {
        var parameters = name switch
        {
            "minSize" => new SearchParameters(MinSize: value),
            "offset" => new SearchParameters(Offset: value),
            "type" => new SearchParameters(Type: value),
            "sort" => new SearchParameters(Sort: value),
            "modifiedFrom" => new SearchParameters(ModifiedFrom: value),
            "takenFrom" => new SearchParameters(TakenFrom: value),
            _ => new SearchParameters(Folder: value),
        };

        Assert.Equal(code, parameters.ToQuery(Seoul).Error?.Code);
    }

    [Fact]
    public void A_mark_in_an_NFD_name_covers_whole_syllables()
    {
        var name = "회의록_보고서.txt".Normalize(NormalizationForm.FormD);

        // "보" is two jamo in NFD; "고서" four more.
        var spans = SearchHighlights.Find(name, ["보", "고서"]);

        var start = "회의록_".Normalize(NormalizationForm.FormD).Length;
        Assert.Equal([new TextSpan(start, "보고서".Normalize(NormalizationForm.FormD).Length)], spans);
    }

    [Fact]
    public void A_snippet_starts_shortly_before_the_first_match_and_never_splits_a_character()
    {
        var description = string.Concat(Enumerable.Repeat("가나다라마 ", 40)) + "분기 실적" + string.Concat(Enumerable.Repeat(" 바사아자차", 40));

        var snippet = SearchHighlights.Snippet(description.Normalize(NormalizationForm.FormD), ["실적"])!;

        Assert.StartsWith("…", snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", snippet, StringComparison.Ordinal);
        Assert.Contains("분기 실적".Normalize(NormalizationForm.FormD), snippet, StringComparison.Ordinal);
        // Whole syllables: the NFD text cut on cluster boundaries composes back without stray jamo.
        Assert.All(snippet.Trim('…').Normalize(NormalizationForm.FormC), c => Assert.False(c is >= '\u1100' and <= '\u11FF', $"stray jamo U+{(int)c:X4}"));
        Assert.Null(SearchHighlights.Snippet("  ", ["x"]));
    }
}
