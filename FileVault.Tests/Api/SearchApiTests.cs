using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FileVault.Tests.Api;

/// <summary>
/// GET /api/v1/search for each grant case on <c>Sales</c> (R-AUTH-1): results and totals hold only what the caller may
/// read; bad parameters answer 400 with their own code.
/// </summary>
public sealed class SearchApiTests(EntryMatrixFixture app) : IClassFixture<EntryMatrixFixture>
{
    // Names each caller may not read: never in their responses, not even as a folder on a path.
    private static readonly Dictionary<string, string[]> Unreadable = new()
    {
        [EntryMatrixFixture.None] = ["plan.txt", "readme.txt", "Secret", "Public"],
        [EntryMatrixFixture.Read] = ["readme.txt", "Public"],
        [EntryMatrixFixture.DenyUnderAllow] = ["plan.txt", "readme.txt", "Secret", "Public"],
        [EntryMatrixFixture.Admin] = [],
    };

    [Theory]
    // Three characters use the trigram index, one does not: the access filter is the same.
    [InlineData("txt", EntryMatrixFixture.None, new string[0])]
    [InlineData("txt", EntryMatrixFixture.Read, new[] { "plan.txt", "report.txt" })]
    [InlineData("txt", EntryMatrixFixture.DenyUnderAllow, new[] { "report.txt" })]
    [InlineData("txt", EntryMatrixFixture.Admin, new[] { "plan.txt", "readme.txt", "report.txt" })]
    [InlineData("e", EntryMatrixFixture.None, new string[0])]
    [InlineData("e", EntryMatrixFixture.Read, new[] { "report.txt", "Sales", "Secret" })]
    [InlineData("e", EntryMatrixFixture.DenyUnderAllow, new[] { "report.txt", "Sales" })]
    [InlineData("e", EntryMatrixFixture.Admin, new[] { "readme.txt", "report.txt", "Sales", "Secret" })]
    public async Task Results_and_totals_count_only_what_the_caller_may_read(string q, string who, string[] expected)
    {
        var response = await app.Clients[who].GetAsync($"/api/v1/search?q={q}&sort=name");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var json = JsonDocument.Parse(body);
        var names = json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();
        Assert.Equal(expected.Order(StringComparer.OrdinalIgnoreCase), names);
        Assert.Equal(expected.Length, json.RootElement.GetProperty("total").GetInt32());
        Assert.False(json.RootElement.GetProperty("totalIsCapped").GetBoolean());
        foreach (var hidden in Unreadable[who])
        {
            Assert.DoesNotContain(hidden, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_hit_says_where_it_is_for_a_link_to_its_folder()
    {
        var json = await app.Clients[EntryMatrixFixture.Read].GetFromJsonAsync<JsonElement>("/api/v1/search?q=plan");

        var hit = Assert.Single(json.GetProperty("items").EnumerateArray());
        Assert.Equal(app.Id("Sales/Secret/plan.txt"), hit.GetProperty("id").GetInt64());
        Assert.Equal("Sales/Secret", hit.GetProperty("folderPath").GetString());
        Assert.Equal(app.Id("Sales/Secret"), hit.GetProperty("parentId").GetInt64());
        Assert.Equal(app.RootId, hit.GetProperty("rootId").GetInt32());
        Assert.Equal("File", hit.GetProperty("kind").GetString());
        Assert.Equal(0, hit.GetProperty("nameMatches")[0].GetProperty("start").GetInt32());
    }

    [Fact]
    public async Task Type_sort_and_direction_come_from_the_query_string()
    {
        var byName = await app.Clients[EntryMatrixFixture.Admin].GetFromJsonAsync<JsonElement>("/api/v1/search?q=txt&sort=NAME&desc=true");
        var folders = await app.Clients[EntryMatrixFixture.Admin].GetFromJsonAsync<JsonElement>("/api/v1/search?q=e&type=folders");
        var pdfs = await app.Clients[EntryMatrixFixture.Admin].GetFromJsonAsync<JsonElement>("/api/v1/search?ext=pdf");

        Assert.Equal(["report.txt", "readme.txt", "plan.txt"], Names(byName));
        Assert.Equal(["Sales", "Secret"], Names(folders));
        Assert.Empty(Names(pdfs));
    }

    [Theory]
    [InlineData("minSize=abc", "search.size_invalid")]
    [InlineData("minSize=10&maxSize=9", "search.size_invalid")]
    [InlineData("type=pictures", "search.type_invalid")]
    [InlineData("type=3", "search.type_invalid")]
    [InlineData("sort=date", "search.sort_invalid")]
    [InlineData("desc=maybe", "search.sort_invalid")]
    [InlineData("pageSize=201", "search.page_invalid")]
    [InlineData("offset=-1", "search.page_invalid")]
    [InlineData("offset=10001", "search.page_invalid")]
    [InlineData("folder=abc", "search.folder_invalid")]
    [InlineData("modifiedFrom=2025-13-01", "search.date_invalid")]
    [InlineData("modifiedFrom=2025-02-01&modifiedTo=2025-01-01", "search.date_invalid")]
    [InlineData("ext=pdf,", "search.extension_invalid")]
    [InlineData("modifiedFrom=2025-02-01&tz=Mars%2FOlympus", "timezone.unknown")]
    [InlineData("q=1+2+3+4+5+6+7+8+9+10+11", "search.too_many_terms")]
    [InlineData("after=not%20a%20cursor!", "search.cursor_invalid")]
    [InlineData("after=aGVsbG8", "search.cursor_invalid")]
    [InlineData("after=WzEsMl0", "search.cursor_invalid")]
    [InlineData("after=eyJWIjoxLCJQIjotMX0", "search.cursor_invalid")]
    [InlineData("after=eyJWIjoyLCJQIjowfQ", "search.cursor_invalid")]
    [InlineData("after=eyJWIjoxLCJQIjowLCJTIjoxLCJEIjpmYWxzZSwiVCI6NywiSyI6ImEiLCJaIjowLCJNIjowLCJJIjoxfQ&sort=name", "search.cursor_invalid")]
    public async Task A_bad_parameter_answers_400_with_its_code(string query, string code)
    {
        var response = await app.Clients[EntryMatrixFixture.Read].GetAsync("/api/v1/search?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(EntryMatrixFixture.Read)]
    [InlineData(EntryMatrixFixture.DenyUnderAllow)]
    [InlineData(EntryMatrixFixture.None)]
    public async Task Pages_followed_by_their_next_cursor_are_the_pages_by_offset_and_no_cursor_reaches_past_a_grant(string who)
    {
        var client = app.Clients[who];
        var byOffset = new List<string>();
        for (var offset = 0; offset < 50; offset++)
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/v1/search?q=e&sort=name&pageSize=1&offset={offset}");
            var names = Names(page);
            if (names.Count == 0)
            {
                break;
            }

            byOffset.AddRange(names);
        }

        var byCursor = new List<string>();
        var link = "/api/v1/search?q=e&sort=name&pageSize=1";
        for (var i = 0; i < 50 && link is not null; i++)
        {
            var page = await client.GetFromJsonAsync<JsonElement>(link);
            byCursor.AddRange(Names(page));
            link = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String
                ? "/api/v1/search?q=e&sort=name&pageSize=1&after=" + Uri.EscapeDataString(next.GetString()!)
                : null;
        }

        Assert.Equal(byOffset, byCursor);

        // Cursors written by hand, right before each name the caller may not read (and before everything): a position
        // is all they are, and what follows them is still only what the caller may read.
        foreach (var name in new[] { "", "plan", "readme", "public", "secret" })
        {
            var cursor = new FileVault.Core.Search.SearchCursor(0, new FileVault.Core.Search.SearchCursorKey(
                FileVault.Core.Search.SearchSort.Name, false, 0, name, 0, DateTimeOffset.UnixEpoch, 1)).Encode();
            var response = await client.GetAsync($"/api/v1/search?q=e&sort=name&pageSize=200&after={cursor}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var hidden in Unreadable[who])
            {
                Assert.DoesNotContain(hidden, body, StringComparison.Ordinal);
            }

            using var json = JsonDocument.Parse(body);
            // The cursor's id is the smallest there is: a name equal to its key comes after it.
            Assert.Equal(byOffset.Where(n => string.CompareOrdinal(n.ToLowerInvariant(), name) >= 0), Names(json.RootElement));
        }
    }

    [Fact]
    public async Task A_query_over_200_characters_is_refused()
    {
        var response = await app.Clients[EntryMatrixFixture.Read].GetAsync("/api/v1/search?q=" + Uri.EscapeDataString(new string('가', 201)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("search.query_too_long", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    private static List<string> Names(JsonElement results) =>
        results.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();
}
