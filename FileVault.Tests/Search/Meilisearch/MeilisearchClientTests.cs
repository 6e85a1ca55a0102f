using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FileVault.Core.Search.Meilisearch;

namespace FileVault.Tests.Search.Meilisearch;

/// <summary>
/// The contract of our Meilisearch client: the requests it sends, and the responses it reads, with the JSON examples of
/// Meilisearch's API reference, over a real loopback socket. No Meilisearch server runs here; see
/// <see cref="MeilisearchLiveTests"/> for the same calls against one.
/// </summary>
public sealed class MeilisearchClientTests : IAsyncLifetime
{
    // https://www.meilisearch.com/docs/reference/api/search (POST /indexes/{index_uid}/search, response example)
    private const string SearchResponseExample = """
        {
          "hits": [
            {
              "id": 2770,
              "title": "American Pie 2",
              "poster": "https://image.tmdb.org/t/p/w1280/q4LNgUnRfltxzp3gf1MAGiK5LhV.jpg",
              "overview": "The whole gang are back and as close as ever. They decide to get even closer by spending the summer together at a beach house. They decide to hold the biggest…",
              "release_date": 997405200
            },
            {
              "id": 190859,
              "title": "American Sniper",
              "poster": "https://image.tmdb.org/t/p/w1280/svPHnYE7N5NAGO49dBmRhq0vDQ3.jpg",
              "overview": "U.S. Navy SEAL Chris Kyle takes his sole mission—protect his comrades—to heart and becomes one of the most lethal snipers in American history. His pinpoint accuracy not only saves countless lives but also makes him a prime…",
              "release_date": 1418256000
            }
          ],
          "offset": 0,
          "limit": 20,
          "estimatedTotalHits": 976,
          "processingTimeMs": 35,
          "query": "american "
        }
        """;

    // https://www.meilisearch.com/docs/reference/api/documents (add or replace documents: the summarized task, 202)
    private const string EnqueuedExample = """
        {
          "taskUid": 1,
          "indexUid": "movies",
          "status": "enqueued",
          "type": "documentAdditionOrUpdate",
          "enqueuedAt": "2021-08-11T09:25:53.000000Z"
        }
        """;

    // https://www.meilisearch.com/docs/reference/api/async-task-management/get-task (GET /tasks/{task_id}, response example)
    private const string TaskExample = """
        {
          "uid": 1,
          "indexUid": "movies",
          "status": "succeeded",
          "type": "indexCreation",
          "canceledBy": null,
          "details": null,
          "error": null,
          "duration": "PT1S",
          "enqueuedAt": "2021-01-01T09:39:00.000000Z",
          "startedAt": "2021-01-01T09:39:01.000000Z",
          "finishedAt": "2021-01-01T09:39:02.000000Z"
        }
        """;

    // https://www.meilisearch.com/docs/reference/errors/overview (the error object)
    private const string ErrorExample = """
        {
          "message": "Index `movies` not found.",
          "code": "index_not_found",
          "type": "invalid_request",
          "link": "https://docs.meilisearch.com/errors#index_not_found"
        }
        """;

    // https://www.meilisearch.com/docs/reference/api/documents (GET /indexes/{index_uid}/documents, response example)
    private const string DocumentsExample = """
        {
          "results": [
            { "id": 25684, "title": "American Ninja 5", "poster": "https://image.tmdb.org/t/p/w1280/iuAQVI4mvjI83wnirpD8GVNRVuY.jpg" },
            { "id": 45881, "title": "The Bridge of San Luis Rey", "poster": "https://image.tmdb.org/t/p/w500/4X7quIcdkc24Cveg5XdpfRqxtYA.jpg" }
          ],
          "offset": 0,
          "limit": 2,
          "total": 5403
        }
        """;

    private FakeMeilisearch _server = default!;

    public Task InitializeAsync()
    {
        _server = new FakeMeilisearch();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_search_sends_query_filter_sort_and_page_and_reads_the_reference_response()
    {
        _server.Answer = r => r.Path == "/indexes/movies/search" ? (200, SearchResponseExample) : null;
        using var http = Http(_server.Url, apiKey: "masterKey");
        var response = await new MeilisearchClient(http).SearchAsync("movies",
            new MeilisearchSearchRequest("american ", "pathPrefixes IN [\"1:a \\\"b\\\"\"]", ["size:desc", "nameKey:desc"], 50, 25, ["id"]), CancellationToken.None);

        Assert.Equal([2770L, 190859L], response.Hits.Select(h => h.Id));
        Assert.Equal(976, response.EstimatedTotalHits);
        Assert.Equal(35, response.ProcessingTimeMs);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer masterKey", request.Authorization);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal("american ", body["q"]!.GetValue<string>());
        Assert.Equal("pathPrefixes IN [\"1:a \\\"b\\\"\"]", body["filter"]!.GetValue<string>());
        Assert.Equal(["size:desc", "nameKey:desc"], body["sort"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(50, body["offset"]!.GetValue<int>());
        Assert.Equal(25, body["limit"]!.GetValue<int>());
        Assert.Equal(["id"], body["attributesToRetrieve"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task A_search_without_filter_or_sort_leaves_them_out()
    {
        _server.Answer = _ => (200, SearchResponseExample);
        using var http = Http(_server.Url);
        await new MeilisearchClient(http).SearchAsync("movies", new MeilisearchSearchRequest("x", null, null, 0, 50, ["id"]), CancellationToken.None);
        var body = JsonNode.Parse(Assert.Single(_server.Requests).Body)!.AsObject();
        Assert.False(body.ContainsKey("filter"));
        Assert.False(body.ContainsKey("sort"));
        Assert.Null(Assert.Single(_server.Requests).Authorization);
    }

    [Fact]
    public async Task Documents_are_sent_in_camel_case_and_the_reference_task_summary_is_read()
    {
        _server.Answer = _ => (202, EnqueuedExample);
        using var http = Http(_server.Url);
        var client = new MeilisearchClient(http);
        var document = new MeilisearchDocument(42, 7, "영업부/회의록.hwp", "회의록.hwp", "회의록.hwp", "ㅎㅇㄹ.hwp", "hwp", 1, 1234, 1_700_000_000,
            ["7:", "7:영업부", "7:영업부/회의록.hwp"]);
        var added = await client.ReplaceDocumentsAsync("movies", [document], CancellationToken.None);
        Assert.Equal(1, added.TaskUid);
        Assert.Equal(MeilisearchTaskStatus.Enqueued, added.Status);
        Assert.Equal("documentAdditionOrUpdate", added.Type);
        Assert.Equal(new DateTimeOffset(2021, 8, 11, 9, 25, 53, TimeSpan.Zero), added.EnqueuedAt);

        var sent = JsonNode.Parse(_server.Requests.Last().Body)!.AsArray().Single()!.AsObject();
        Assert.Equal("/indexes/movies/documents", _server.Requests.Last().Path);
        Assert.Equal(
            ["id", "rootId", "path", "name", "nameKey", "initials", "extension", "kind", "size", "modifiedAt", "pathPrefixes"],
            sent.Select(p => p.Key));
        Assert.Equal("ㅎㅇㄹ.hwp", sent["initials"]!.GetValue<string>());
        Assert.Equal(1_700_000_000, sent["modifiedAt"]!.GetValue<long>());

        await client.DeleteDocumentsAsync("movies", [3, 4], CancellationToken.None);
        Assert.Equal("/indexes/movies/documents/delete-batch", _server.Requests.Last().Path);
        Assert.Equal("[3,4]", _server.Requests.Last().Body);
    }

    [Fact]
    public async Task A_task_is_read_from_the_reference_example()
    {
        _server.Answer = r => r.Path == "/tasks/1" ? (200, TaskExample) : null;
        using var http = Http(_server.Url);
        var task = await new MeilisearchClient(http).TaskAsync(1, CancellationToken.None);
        Assert.Equal(1, task.Uid);
        Assert.Equal(MeilisearchTaskStatus.Succeeded, task.Status);
        Assert.Equal("indexCreation", task.Type);
        Assert.Null(task.Error);
        Assert.Equal(new DateTimeOffset(2021, 1, 1, 9, 39, 2, TimeSpan.Zero), task.FinishedAt);
    }

    [Fact]
    public async Task Document_ids_are_paged_with_fields_offset_and_limit()
    {
        _server.Answer = _ => (200, DocumentsExample);
        using var http = Http(_server.Url);
        var page = await new MeilisearchClient(http).DocumentIdsAsync("movies", 10, 2, CancellationToken.None);
        Assert.Equal([25684L, 45881L], page.Results.Select(r => r.Id));
        Assert.Equal(5403, page.Total);
        Assert.Equal("?fields=id&offset=10&limit=2", _server.Requests.Single().Query);
    }

    [Fact]
    public async Task Ensuring_the_index_creates_it_then_sets_searchable_filterable_and_sortable_attributes()
    {
        using var http = Http(_server.Url);
        await new MeilisearchClient(http).EnsureIndexAsync("filevault-entries", MeilisearchFilter.Settings, TimeSpan.FromSeconds(30), CancellationToken.None);
        var requests = _server.Requests.ToList();
        Assert.Equal(("POST", "/indexes"), (requests[0].Method, requests[0].Path));
        Assert.Equal("""{"uid":"filevault-entries","primaryKey":"id"}""", requests[0].Body);
        var settings = requests.Single(r => r.Method == "PATCH");
        Assert.Equal("/indexes/filevault-entries/settings", settings.Path);
        var body = JsonNode.Parse(settings.Body)!.AsObject();
        Assert.Equal(["name", "initials"], body["searchableAttributes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains("pathPrefixes", body["filterableAttributes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(["nameKey", "size", "modifiedAt", "id"], body["sortableAttributes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(10_200, body["pagination"]!["maxTotalHits"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_index_that_exists_already_is_not_an_error_but_another_failed_task_is()
    {
        var failedCode = "index_already_exists";
        _server.Answer = r => r.Path.StartsWith("/tasks/", StringComparison.Ordinal) && r.Path != "/tasks/2"
            ? (200, $$"""
                {"uid": 1, "indexUid": "filevault-entries", "status": "failed", "type": "indexCreation", "canceledBy": null, "details": null,
                 "error": {"message": "failed", "code": "{{failedCode}}", "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#{{failedCode}}"},
                 "duration": "PT0S", "enqueuedAt": "2021-01-01T09:39:00.000000Z", "startedAt": null, "finishedAt": "2021-01-01T09:39:00.000000Z"}
                """)
            : null;
        using var http = Http(_server.Url);
        var client = new MeilisearchClient(http);
        await client.EnsureIndexAsync("filevault-entries", MeilisearchFilter.Settings, TimeSpan.FromSeconds(30), CancellationToken.None);

        failedCode = "invalid_index_uid";
        var error = await Assert.ThrowsAsync<MeilisearchException>(() =>
            client.EnsureIndexAsync("filevault-entries", MeilisearchFilter.Settings, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal("invalid_index_uid", error.Code);
    }

    [Fact]
    public async Task An_error_answer_carries_its_code_and_a_5xx_without_json_its_status()
    {
        _server.Answer = _ => (404, ErrorExample);
        using var http = Http(_server.Url);
        var client = new MeilisearchClient(http);
        var notFound = await Assert.ThrowsAsync<MeilisearchException>(() => client.TaskAsync(9, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, notFound.Status);
        Assert.Equal("index_not_found", notFound.Code);
        Assert.Equal("Index `movies` not found.", notFound.Message);

        _server.Answer = _ => (503, "<html>Service Unavailable</html>");
        var unavailable = await Assert.ThrowsAsync<MeilisearchException>(() => client.TaskAsync(9, CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.Status);
        Assert.Null(unavailable.Code);
    }

    [Fact]
    public async Task A_server_that_is_not_there_refuses_the_connection()
    {
        using var http = Http($"http://127.0.0.1:{FakeMeilisearch.FreePort()}");
        await Assert.ThrowsAsync<HttpRequestException>(() => new MeilisearchClient(http).TaskAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task A_search_that_hangs_is_cancelled_by_its_token()
    {
        _server.HangSearches = true;
        using var http = Http(_server.Url);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new MeilisearchClient(http)
            .SearchAsync("movies", new MeilisearchSearchRequest("x", null, null, 0, 50, ["id"]), timeout.Token));
    }

    internal static HttpClient Http(string url, string? apiKey = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/") };
        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return http;
    }
}
