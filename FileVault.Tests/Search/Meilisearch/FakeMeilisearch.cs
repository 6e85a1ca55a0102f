using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace FileVault.Tests.Search.Meilisearch;

/// <summary>
/// A Meilisearch stand-in on a real loopback socket (HttpListener), so that refused connections, timeouts and 5xx are
/// what the client really meets. It keeps documents and answers the calls our client makes with the shapes of
/// Meilisearch's API reference; every task succeeds at once. Tests may replace any answer with <see cref="Answer"/>.
/// </summary>
internal sealed class FakeMeilisearch : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private long _nextTask;

    public FakeMeilisearch()
    {
        // A port taken and given back can be taken by someone else in between; try a few.
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                Url = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    /// <summary>The documents the fake holds, by id, as they were sent.</summary>
    public ConcurrentDictionary<long, JsonObject> Documents { get; } = new();

    /// <summary>The ids a search answers, in order; null answers every document held.</summary>
    public IReadOnlyList<long>? SearchHits { get; set; }

    /// <summary>The estimate of all matches a search answers with; null for the hits' own count.</summary>
    public int? EstimatedTotalHits { get; set; }

    /// <summary>Replaces the fake's own answer: (status, JSON body), or null to let the fake answer.</summary>
    public Func<Recorded, (int Status, string Body)?>? Answer { get; set; }

    /// <summary>Searches never get an answer until the fake is disposed (a server that hangs).</summary>
    public bool HangSearches { get; set; }

    /// <summary>A loopback port nothing listens on (taken from the OS, then released).</summary>
    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync();
            }

            var recorded = new Recorded(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Url.Query,
                body, context.Request.Headers["Authorization"], context.Request.ContentType);
            Requests.Enqueue(recorded);
            if (HangSearches && recorded.Path.EndsWith("/search", StringComparison.Ordinal))
            {
                await _released.Task;
            }

            var (status, json) = Answer?.Invoke(recorded) ?? Respond(recorded);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(json);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The client gave up (a timeout test) or the fake is stopping.
        }
    }

    private (int Status, string Body) Respond(Recorded request)
    {
        var path = request.Path;
        if (request.Method == "GET" && path.StartsWith("/tasks/", StringComparison.Ordinal))
        {
            var uid = long.Parse(path["/tasks/".Length..], CultureInfo.InvariantCulture);
            return (200, $$"""
                {"uid": {{uid}}, "indexUid": "filevault-entries", "status": "succeeded", "type": "documentAdditionOrUpdate", "canceledBy": null,
                 "details": null, "error": null, "duration": "PT0.001S", "enqueuedAt": "2026-12-07T09:39:00.000000Z",
                 "startedAt": "2026-12-07T09:39:00.000000Z", "finishedAt": "2026-12-07T09:39:00.001000Z"}
                """);
        }

        if (request.Method == "GET" && path == "/health")
        {
            // https://www.meilisearch.com/docs/reference/api/health (response example)
            return (200, """{"status": "available"}""");
        }

        if (request.Method == "POST" && path.EndsWith("/documents/delete-batch", StringComparison.Ordinal))
        {
            foreach (var id in JsonNode.Parse(request.Body)!.AsArray())
            {
                Documents.TryRemove(id!.GetValue<long>(), out _);
            }

            return Enqueued("documentDeletion");
        }

        if (request.Method == "POST" && path.EndsWith("/documents", StringComparison.Ordinal))
        {
            foreach (var document in JsonNode.Parse(request.Body)!.AsArray())
            {
                Documents[document!["id"]!.GetValue<long>()] = document.DeepClone().AsObject();
            }

            return Enqueued("documentAdditionOrUpdate");
        }

        if (request.Method == "GET" && path.EndsWith("/documents", StringComparison.Ordinal))
        {
            var query = System.Web.HttpUtility.ParseQueryString(request.Query);
            var offset = int.Parse(query["offset"] ?? "0", CultureInfo.InvariantCulture);
            var limit = int.Parse(query["limit"] ?? "20", CultureInfo.InvariantCulture);
            var ids = Documents.Keys.Order().ToList();
            var page = string.Join(", ", ids.Skip(offset).Take(limit).Select(id => $$"""{"id": {{id}}}"""));
            return (200, $$"""{"results": [{{page}}], "offset": {{offset}}, "limit": {{limit}}, "total": {{ids.Count}}}""");
        }

        if (request.Method == "POST" && path.EndsWith("/search", StringComparison.Ordinal))
        {
            var hits = SearchHits ?? [.. Documents.Keys.Order()];
            var q = JsonNode.Parse(request.Body)!["q"]?.GetValue<string>() ?? "";
            var list = string.Join(", ", hits.Select(id => $$"""{"id": {{id}}}"""));
            return (200, $$"""
                {"hits": [{{list}}], "offset": 0, "limit": 50, "estimatedTotalHits": {{EstimatedTotalHits ?? hits.Count}}, "processingTimeMs": 1,
                 "query": {{JsonValue.Create(q).ToJsonString()}}}
                """);
        }

        if (request.Method == "POST" && path == "/indexes")
        {
            return Enqueued("indexCreation");
        }

        if (request.Method == "PATCH" && path.EndsWith("/settings", StringComparison.Ordinal))
        {
            return Enqueued("settingsUpdate");
        }

        return (404, """{"message": "Not found.", "code": "not_found", "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#not_found"}""");
    }

    private (int Status, string Body) Enqueued(string type)
    {
        var uid = Interlocked.Increment(ref _nextTask);
        return (202, $$"""{"taskUid": {{uid}}, "indexUid": "filevault-entries", "status": "enqueued", "type": "{{type}}", "enqueuedAt": "2026-12-07T09:39:00.000000Z"}""");
    }

    public sealed record Recorded(string Method, string Path, string Query, string Body, string? Authorization, string? ContentType);
}
