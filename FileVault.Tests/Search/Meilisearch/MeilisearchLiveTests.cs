using FileVault.Core.Search.Meilisearch;

namespace FileVault.Tests.Search.Meilisearch;

/// <summary>A test that needs a real Meilisearch server: skipped unless FILEVAULT_MEILI_URL names one.</summary>
public sealed class LiveMeilisearchFactAttribute : FactAttribute
{
    public LiveMeilisearchFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("FILEVAULT_MEILI_URL")))
        {
            Skip = "No Meilisearch server: set FILEVAULT_MEILI_URL (and FILEVAULT_MEILI_KEY) to run the live tests.";
        }
    }
}

/// <summary>
/// The client's calls against a real Meilisearch (FILEVAULT_MEILI_URL, FILEVAULT_MEILI_KEY): each test uses an index of
/// its own, named for the run.
/// </summary>
public sealed class MeilisearchLiveTests
{
    private static readonly TimeSpan TaskTimeout = TimeSpan.FromSeconds(60);

    [LiveMeilisearchFact]
    public async Task Documents_added_are_found_by_filter_and_sort_and_deleted_documents_are_not()
    {
        using var http = MeilisearchClientTests.Http(Environment.GetEnvironmentVariable("FILEVAULT_MEILI_URL")!,
            Environment.GetEnvironmentVariable("FILEVAULT_MEILI_KEY"));
        var client = new MeilisearchClient(http);
        var index = "filevault-test-" + Guid.NewGuid().ToString("N");
        await client.EnsureIndexAsync(index, MeilisearchFilter.Settings, TaskTimeout, CancellationToken.None);
        await client.EnsureIndexAsync(index, MeilisearchFilter.Settings, TaskTimeout, CancellationToken.None); // exists already: fine

        MeilisearchDocument Document(long id, string path, long size)
        {
            var name = path[(path.LastIndexOf('/') + 1)..];
            return new MeilisearchDocument(id, 1, path, name, name, Core.Search.Hangul.Initialize(name), "hwp", 1, size, 1_700_000_000 + id,
                MeilisearchFilter.PrefixesOf(1, path));
        }

        var added = await client.ReplaceDocumentsAsync(index, [
            Document(1, "영업부/회의록_1.hwp", 300), Document(2, "영업부/회의록_2.hwp", 100), Document(3, "기밀/회의록_3.hwp", 200)], CancellationToken.None);
        await client.SucceededAsync(added.TaskUid, TaskTimeout, CancellationToken.None);

        var found = await client.SearchAsync(index, new MeilisearchSearchRequest(
            "회의록", "pathPrefixes IN [\"1:영업부\"]", ["size:asc", "id:asc"], 0, 10, ["id"]), CancellationToken.None);
        Assert.Equal([2L, 1L], found.Hits.Select(h => h.Id));

        var deleted = await client.DeleteDocumentsAsync(index, [2], CancellationToken.None);
        await client.SucceededAsync(deleted.TaskUid, TaskTimeout, CancellationToken.None);
        found = await client.SearchAsync(index, new MeilisearchSearchRequest("회의록", "NOT pathPrefixes IN [\"1:기밀\"]", null, 0, 10, ["id"]), CancellationToken.None);
        Assert.Equal([1L], found.Hits.Select(h => h.Id));

        var page = await client.DocumentIdsAsync(index, 0, 10, CancellationToken.None);
        Assert.Equal([1L, 3L], page.Results.Select(r => r.Id).Order());
    }
}
