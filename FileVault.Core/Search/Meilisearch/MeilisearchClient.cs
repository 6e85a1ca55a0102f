using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FileVault.Core.Search.Meilisearch;

/// <summary>
/// The few calls of Meilisearch's REST API that search uses (no .NET client is in our package registry): the index
/// and its settings, documents added or replaced and deleted in batches, search, and task status. Writes are
/// asynchronous in Meilisearch: each answers with a task, which <see cref="WaitAsync"/> follows to its end.
/// </summary>
public sealed class MeilisearchClient(HttpClient http)
{
    private static readonly MeilisearchJson Json = MeilisearchJson.Default;

    /// <summary>Creates the index unless it exists, then sets which attributes are searched, filtered and sorted.</summary>
    public async Task EnsureIndexAsync(string index, MeilisearchSettings settings, TimeSpan taskTimeout, CancellationToken cancellationToken)
    {
        var created = await SendAsync(HttpMethod.Post, "indexes", new MeilisearchIndexCreation(index, "id"), Json.MeilisearchIndexCreation,
            Json.MeilisearchTaskSummary, cancellationToken);
        var creation = await WaitAsync(created.TaskUid, taskTimeout, cancellationToken);
        if (creation.Status == MeilisearchTaskStatus.Failed && creation.Error?.Code != "index_already_exists")
        {
            throw new MeilisearchException(HttpStatusCode.OK, creation.Error?.Code, creation.Error?.Message ?? "The index could not be created.");
        }

        var updated = await SendAsync(HttpMethod.Patch, $"indexes/{Uri.EscapeDataString(index)}/settings", settings, Json.MeilisearchSettings,
            Json.MeilisearchTaskSummary, cancellationToken);
        await SucceededAsync(updated.TaskUid, taskTimeout, cancellationToken);
    }

    /// <summary>Adds documents, or replaces those with the same id whole (POST /indexes/{index}/documents).</summary>
    public Task<MeilisearchTaskSummary> ReplaceDocumentsAsync(string index, IReadOnlyList<MeilisearchDocument> documents, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"indexes/{Uri.EscapeDataString(index)}/documents", documents, Json.IReadOnlyListMeilisearchDocument,
            Json.MeilisearchTaskSummary, cancellationToken);

    /// <summary>Deletes documents by id (POST /indexes/{index}/documents/delete-batch); ids not in the index are ignored.</summary>
    public Task<MeilisearchTaskSummary> DeleteDocumentsAsync(string index, IReadOnlyList<long> ids, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"indexes/{Uri.EscapeDataString(index)}/documents/delete-batch", ids, Json.IReadOnlyListInt64,
            Json.MeilisearchTaskSummary, cancellationToken);

    /// <summary>One page of the index's document ids, in the index's order (for reconciliation).</summary>
    public async Task<MeilisearchDocumentsPage> DocumentIdsAsync(string index, int offset, int limit, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"indexes/{Uri.EscapeDataString(index)}/documents?fields=id&offset={offset}&limit={limit}");
        using var response = await http.GetAsync(path, cancellationToken);
        return await ReadAsync(response, Json.MeilisearchDocumentsPage, cancellationToken);
    }

    public Task<MeilisearchSearchResponse> SearchAsync(string index, MeilisearchSearchRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"indexes/{Uri.EscapeDataString(index)}/search", request, Json.MeilisearchSearchRequest,
            Json.MeilisearchSearchResponse, cancellationToken);

    /// <summary>
    /// GET /health: Meilisearch answers <c>{"status": "available"}</c> while it serves; anything else (another status,
    /// an error answer) is a <see cref="MeilisearchException"/>, a refused connection an <see cref="HttpRequestException"/>.
    /// </summary>
    public async Task HealthAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("health", cancellationToken);
        var health = await ReadAsync(response, Json.MeilisearchHealth, cancellationToken);
        if (!string.Equals(health.Status, "available", StringComparison.Ordinal))
        {
            throw new MeilisearchException(response.StatusCode, null, $"Meilisearch reports its status as \"{health.Status}\", not \"available\".");
        }
    }

    public async Task<MeilisearchTask> TaskAsync(long taskUid, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(string.Create(CultureInfo.InvariantCulture, $"tasks/{taskUid}"), cancellationToken);
        return await ReadAsync(response, Json.MeilisearchTask, cancellationToken);
    }

    /// <summary>Follows a task until it has succeeded, failed or been canceled; past <paramref name="timeout"/>, a <see cref="TimeoutException"/>.</summary>
    public async Task<MeilisearchTask> WaitAsync(long taskUid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var task = await TaskAsync(taskUid, cancellationToken);
            if (task.Status is MeilisearchTaskStatus.Succeeded or MeilisearchTaskStatus.Failed or MeilisearchTaskStatus.Canceled)
            {
                return task;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Meilisearch task {taskUid} still {task.Status} after {timeout.TotalSeconds:F0} s.");
            }

            // Meilisearch has no way to wait on a task; a short, growing pause keeps the polling cheap.
            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Like <see cref="WaitAsync"/>, and a task that did not succeed is an exception.</summary>
    public async Task SucceededAsync(long taskUid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var task = await WaitAsync(taskUid, timeout, cancellationToken);
        if (task.Status != MeilisearchTaskStatus.Succeeded)
        {
            throw new MeilisearchException(HttpStatusCode.OK, task.Error?.Code, task.Error?.Message ?? $"Task {taskUid} {task.Status}.");
        }
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(HttpMethod method, string path, TRequest body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TRequest> requestType, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, requestType) };
        using var response = await http.SendAsync(request, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            MeilisearchError? error = null;
            try
            {
                error = await response.Content.ReadFromJsonAsync(Json.MeilisearchError, cancellationToken);
            }
            catch (JsonException)
            {
                // A proxy's HTML error page: the status says enough.
            }

            throw new MeilisearchException(response.StatusCode, error?.Code, error?.Message ?? $"Meilisearch answered {(int)response.StatusCode}.");
        }

        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new MeilisearchException(response.StatusCode, null, "Meilisearch answered with an empty body.");
    }
}

/// <summary>Meilisearch answered with an error (its <c>code</c>, e.g. <c>index_not_found</c>), or a task failed.</summary>
public sealed class MeilisearchException(HttpStatusCode status, string? code, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string? Code { get; } = code;
}

public sealed record MeilisearchIndexCreation(string Uid, string PrimaryKey);

/// <summary>Null lists are left out of the request, so they keep their current value.</summary>
public sealed record MeilisearchSettings(
    IReadOnlyList<string>? SearchableAttributes = null,
    IReadOnlyList<string>? FilterableAttributes = null,
    IReadOnlyList<string>? SortableAttributes = null,
    MeilisearchPagination? Pagination = null);

/// <summary>How deep a search may page (Meilisearch's default stops at 1,000 hits).</summary>
public sealed record MeilisearchPagination(int MaxTotalHits);

/// <summary>What a write answers at once (202 Accepted): the task that will do it.</summary>
public sealed record MeilisearchTaskSummary(long TaskUid, string? IndexUid, MeilisearchTaskStatus Status, string Type, DateTimeOffset EnqueuedAt);

[JsonConverter(typeof(JsonStringEnumConverter<MeilisearchTaskStatus>))]
public enum MeilisearchTaskStatus
{
    [JsonStringEnumMemberName("enqueued")] Enqueued,
    [JsonStringEnumMemberName("processing")] Processing,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("canceled")] Canceled,
}

public sealed record MeilisearchTask(
    long Uid, string? IndexUid, MeilisearchTaskStatus Status, string Type, MeilisearchError? Error,
    DateTimeOffset EnqueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>The answer of GET /health.</summary>
public sealed record MeilisearchHealth(string? Status);

public sealed record MeilisearchError(string Message, string Code, string? Type, string? Link);

/// <param name="Filter">Meilisearch's filter expression (<see cref="MeilisearchFilter"/>); null for none.</param>
/// <param name="Sort">"attribute:asc" or "attribute:desc", most significant first; null for relevance.</param>
public sealed record MeilisearchSearchRequest(
    string Q, string? Filter, IReadOnlyList<string>? Sort, int Offset, int Limit, IReadOnlyList<string> AttributesToRetrieve);

/// <summary>Only the id of each hit is read: the page itself comes from the catalog.</summary>
public sealed record MeilisearchHit(long Id);

public sealed record MeilisearchSearchResponse(
    IReadOnlyList<MeilisearchHit> Hits, int Offset, int Limit, int? EstimatedTotalHits, int ProcessingTimeMs, string Query);

public sealed record MeilisearchDocumentsPage(IReadOnlyList<MeilisearchHit> Results, int Offset, int Limit, int Total);

/// <summary>
/// One entry in the Meilisearch index. <see cref="PathPrefixes"/> holds the entry's own path and every ancestor's, as
/// <c>rootId:path</c> ("7:" for the root): a read grant on a folder is then the filter <c>pathPrefixes = "7:영업부"</c>.
/// </summary>
/// <param name="ModifiedAt">Unix seconds: filters and sorts compare numbers.</param>
public sealed record MeilisearchDocument(
    long Id, int RootId, string Path, string Name, string NameKey, string Initials, string? Extension, int Kind, long Size, long ModifiedAt,
    IReadOnlyList<string> PathPrefixes);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MeilisearchIndexCreation))]
[JsonSerializable(typeof(MeilisearchSettings))]
[JsonSerializable(typeof(MeilisearchTaskSummary))]
[JsonSerializable(typeof(MeilisearchTask))]
[JsonSerializable(typeof(MeilisearchError))]
[JsonSerializable(typeof(MeilisearchHealth))]
[JsonSerializable(typeof(MeilisearchSearchRequest))]
[JsonSerializable(typeof(MeilisearchSearchResponse))]
[JsonSerializable(typeof(MeilisearchDocumentsPage))]
[JsonSerializable(typeof(IReadOnlyList<MeilisearchDocument>))]
[JsonSerializable(typeof(IReadOnlyList<long>))]
public sealed partial class MeilisearchJson : JsonSerializerContext;
