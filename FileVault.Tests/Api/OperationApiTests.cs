using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Api;

/// <summary>Idempotency, name conflicts, token scope and the OpenAPI document of the operation, trash and job endpoints.</summary>
public sealed class OperationApiTests(OperationMatrixFixture app) : IClassFixture<OperationMatrixFixture>
{
    private const string A = OperationMatrixFixture.Admin, W = OperationMatrixFixture.Write, D = OperationMatrixFixture.Delete;

    [Fact]
    public async Task The_same_idempotency_key_twice_answers_with_the_same_job_and_makes_one()
    {
        var body = new { entryIds = new[] { app.PathId($"Sales/copy-{W}.txt") }, destinationId = app.PathId($"Sales/to-{W}"), conflict = "ask" };

        var first = await PostAsync(W, "/api/v1/operations/copy", body, "retry-me-1");
        var second = await PostAsync(W, "/api/v1/operations/copy", body, "retry-me-1");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var id = await JobIdAsync(first);
        Assert.Equal(id, await JobIdAsync(second));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.IdempotencyKey == "retry-me-1" && j.OwnerId == app.UserIds[W]));
    }

    [Fact]
    public async Task A_retried_delete_and_restore_with_their_keys_make_no_second_job()
    {
        var delete = new { entryIds = new[] { app.PathId($"Sales/delete-{D}.txt") } };
        Assert.Equal(await JobIdAsync(await PostAsync(D, "/api/v1/operations/delete", delete, "del-1")),
            await JobIdAsync(await PostAsync(D, "/api/v1/operations/delete", delete, "del-1")));

        var restore = new { trashIds = new[] { app.Ids[$"trash:restore:{A}:Sales"] }, conflict = "keepBoth" };
        var firstRestore = await (await PostAsync(A, "/api/v1/trash/restore", restore, "restore-1")).Content.ReadFromJsonAsync<JsonElement>();
        var secondRestore = await (await PostAsync(A, "/api/v1/trash/restore", restore, "restore-1")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(firstRestore.GetProperty("jobIds").GetRawText(), secondRestore.GetProperty("jobIds").GetRawText());
        Assert.Equal(1, firstRestore.GetProperty("jobIds").GetArrayLength());
    }

    [Theory]
    [InlineData(OperationMatrixFixture.None, HttpStatusCode.NotFound)]
    [InlineData(OperationMatrixFixture.Read, HttpStatusCode.Forbidden)]
    [InlineData(OperationMatrixFixture.Write, HttpStatusCode.Accepted)]
    [InlineData(OperationMatrixFixture.Admin, HttpStatusCode.Accepted)]
    public async Task Compress_queues_a_job_for_those_who_may_write_in_the_folder(string who, HttpStatusCode expected)
    {
        // Each user their own file: a queued job keeps its source locked (the runner is off in this fixture).
        var body = new { entryIds = new[] { app.PathId($"Sales/copy-{who}.txt") }, name = $"보고서-{who}", conflict = "ask" };

        var response = await PostAsync(who, "/api/v1/operations/compress", body);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Accepted)
        {
            var id = await JobIdAsync(response);
            await using var db = app.Database.CreateDbContext();
            var job = await db.Jobs.SingleAsync(j => j.Id == id);
            Assert.Equal(("compress", app.UserIds[who]), (job.Type, job.OwnerId));
            Assert.Contains($"보고서-{who}.zip", job.Payload, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Compress_with_an_unknown_conflict_choice_is_a_bad_request()
    {
        var response = await PostAsync(A, "/api/v1/operations/compress", new { entryIds = new[] { app.PathId("Sales/report.txt") }, conflict = "merge" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("operation.conflict_invalid", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Conflict_ask_answers_409_listing_the_taken_names_and_keep_both_is_accepted()
    {
        var ids = new[] { app.PathId("Sales/report.txt"), app.PathId($"Sales/move-{A}.txt") };
        var ask = await PostAsync(A, "/api/v1/operations/copy", new { entryIds = ids, destinationId = app.PathId("Sales"), conflict = "ask" });

        Assert.Equal(HttpStatusCode.Conflict, ask.StatusCode);
        var problem = await ask.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("name.conflict", problem.GetProperty("code").GetString());
        Assert.Equal(["report.txt", $"move-{A}.txt"], problem.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList());

        var keepBoth = await PostAsync(A, "/api/v1/operations/copy", new { entryIds = ids, destinationId = app.PathId("Sales"), conflict = "keepBoth" });
        Assert.Equal(HttpStatusCode.Accepted, keepBoth.StatusCode);

        var bad = await PostAsync(A, "/api/v1/operations/copy", new { entryIds = ids, destinationId = app.PathId("Sales"), conflict = "overwrite" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("operation.conflict_invalid", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_path_held_by_a_queued_job_answers_409_lock_conflict()
    {
        var body = new { entryIds = new[] { app.PathId($"Public/copy-{A}.txt") }, destinationId = app.PathId($"Public/to-{A}"), conflict = "ask" };
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync(A, "/api/v1/operations/copy", body, "lock-1")).StatusCode);

        var again = await PostAsync(A, "/api/v1/operations/copy", body, "lock-2");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("lock.conflict", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_read_scope_token_lists_jobs_but_cannot_start_cancel_or_purge()
    {
        using var read = await app.PersonalTokenClientAsync(W, "read");
        using var readWrite = await app.PersonalTokenClientAsync(W, "read-write");
        var mkdir = new { parentId = app.PathId("Sales"), name = "by-script" };

        Assert.Equal(HttpStatusCode.OK, (await read.GetAsync("/api/v1/jobs")).StatusCode);
        foreach (var (url, body) in new (string, object)[]
                 {
                     ("/api/v1/folders", mkdir), ($"/api/v1/jobs/{app.Ids[$"job:own:{W}"]}/cancel", new { }), ("/api/v1/trash/purge", new { }),
                 })
        {
            var refused = await read.PostAsJsonAsync(url, body);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("token.scope_insufficient", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        Assert.Equal(HttpStatusCode.Created, (await readWrite.PostAsJsonAsync("/api/v1/folders", mkdir)).StatusCode);
    }

    [Fact]
    public async Task A_finished_job_cannot_be_cancelled_and_a_queued_one_cannot_be_retried()
    {
        var failed = app.Ids[$"job:other-failed:{A}"];
        var cancel = await app.Clients[A].PostAsync($"/api/v1/jobs/{failed}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal("job.finished", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var queued = app.Ids[$"job:other:{A}"];
        var retry = await app.Clients[A].PostAsync($"/api/v1/jobs/{queued}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Equal("job.not_retryable", (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Jobs_list_holds_my_jobs_and_all_true_shows_everyones_to_admins_only()
    {
        var mine = await app.Clients[W].GetFromJsonAsync<JsonElement>("/api/v1/jobs?all=true");
        Assert.All(mine.EnumerateArray(), j => Assert.Equal(app.UserIds[W], j.GetProperty("ownerId").GetGuid()));
        Assert.Contains(mine.EnumerateArray(), j => j.GetProperty("id").GetInt64() == app.Ids[$"job:own:{W}"]);

        var everyone = await app.Clients[A].GetFromJsonAsync<JsonElement>("/api/v1/jobs?all=true&limit=200");
        Assert.Contains(everyone.EnumerateArray(), j => j.GetProperty("ownerId").GetGuid() == app.StrangerId);
        Assert.Contains(everyone.EnumerateArray(), j => j.GetProperty("ownerEmail").GetString() == "stranger@ops.test");
        var ids = everyone.EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_job_operation_and_trash_endpoints()
    {
        using var client = app.CreateClient();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var expected in new[]
        {
            "/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/cancel", "/api/v1/jobs/{id}/retry", "/api/v1/operations/move",
            "/api/v1/operations/copy", "/api/v1/operations/delete", "/api/v1/folders", "/api/v1/entries/{id}/rename", "/api/v1/trash",
            "/api/v1/trash/restore", "/api/v1/trash/purge",
        })
        {
            Assert.Contains(expected, paths);
        }

        var operationIds = document.GetRawText();
        foreach (var name in new[] { "ListJobs", "GetJob", "CancelJob", "RetryJob", "MoveEntries", "CopyEntries", "DeleteEntries", "CreateFolder", "RenameEntry", "ListTrash", "RestoreTrash", "PurgeTrash" })
        {
            Assert.Contains($"\"{name}\"", operationIds, StringComparison.Ordinal);
        }
    }

    private async Task<HttpResponseMessage> PostAsync(string who, string url, object body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await app.Clients[who].SendAsync(request);
    }

    private static async Task<long> JobIdAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetInt64();
    }
}
