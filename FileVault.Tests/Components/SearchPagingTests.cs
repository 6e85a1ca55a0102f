using FileVault.Core.Search;
using FileVault.Web.Components.Pages.Search;

namespace FileVault.Tests.Components;

/// <summary>Which search a page number of the search page's pager leads to.</summary>
public sealed class SearchPagingTests
{
    private static readonly SearchCursor Far = new(10_150, new SearchCursorKey(SearchSort.Name, false, 0, "k", 1, DateTimeOffset.UnixEpoch, 42));

    [Fact]
    public void The_next_page_follows_the_cursor_and_other_pages_jump_by_offset()
    {
        var query = new SearchQuery(Text: "견적서", PageSize: 50, Offset: 100);

        var next = SearchPage.ForPage(query, Far.Encode(), 4);
        var back = SearchPage.ForPage(query, Far.Encode(), 2);

        Assert.Equal((0, Far), (next.Offset, next.After));
        Assert.Equal((50, (SearchCursor?)null), (back.Offset, back.After));
    }

    [Fact]
    public void Past_the_offset_cap_a_page_number_that_is_not_the_next_opens_the_furthest_page_a_jump_reaches()
    {
        // Page 204 of 50 (rows 10,150-10,199), reached by cursor; the pager offers 203 (offset 10,100), which no offset reaches.
        var query = new SearchQuery(Text: "견적서", PageSize: 50, After: Far);

        var earlier = SearchPage.ForPage(query, null, 203);
        var last = SearchPage.ForPage(new SearchQuery(Text: "x", PageSize: 30), null, 1_000);

        Assert.Equal((SearchQuery.TotalCap, (SearchCursor?)null), (earlier.Offset, earlier.After));
        // 9,990: the last page of 30 that starts at or before 10,000.
        Assert.Equal(9_990, last.Offset);
        // Both are searches Core accepts, not search.page_invalid.
        Assert.True(SearchCriteria.From(earlier).IsSuccess);
        Assert.True(SearchCriteria.From(last).IsSuccess);
    }
}
