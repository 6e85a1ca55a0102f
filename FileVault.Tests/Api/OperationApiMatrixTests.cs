using System.Net.Http.Json;
using System.Text.Json;

namespace FileVault.Tests.Api;

/// <summary>
/// Every job, operation and trash endpoint for every grant case (R-AUTH-1): what the caller cannot read answers 404
/// and names nothing, another user's job or trash item answers 404, what they can read but not change answers 403.
/// </summary>
public sealed class OperationApiMatrixTests(OperationMatrixFixture app) : IClassFixture<OperationMatrixFixture>
{
    private const string Secret = "Sales/Secret";

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        void Row(string target, int none, int read, int write, int delete, int deny, int admin)
        {
            var expected = new[] { none, read, write, delete, deny, admin };
            for (var i = 0; i < OperationMatrixFixture.Users.Length; i++)
            {
                data.Add(OperationMatrixFixture.Users[i], target, expected[i]);
            }
        }

        //   target                          none read write delete deny admin
        Row("jobs", 200, 200, 200, 200, 200, 200);
        Row("job:own", 200, 200, 200, 200, 200, 200);
        Row("job:other", 404, 404, 404, 404, 404, 200);
        Row("cancel:own", 200, 200, 200, 200, 200, 200);
        Row("cancel:other", 404, 404, 404, 404, 404, 200);
        Row("retry:own-failed", 200, 200, 200, 200, 200, 200);
        Row("retry:other-failed", 404, 404, 404, 404, 404, 200);
        Row("trash", 200, 200, 200, 200, 200, 200);
        Row("move:Sales", 404, 403, 403, 403, 403, 202);
        Row("move:" + Secret, 404, 403, 403, 403, 404, 202);
        Row("move:Public", 404, 404, 404, 404, 404, 202);
        Row("move:missing", 404, 404, 404, 404, 404, 404);
        Row("copy:Sales", 404, 403, 202, 403, 202, 202);
        Row("copy:" + Secret, 404, 403, 202, 403, 404, 202);
        Row("copy:Public", 404, 404, 404, 404, 404, 202);
        Row("delete:Sales", 404, 403, 403, 202, 403, 202);
        Row("delete:" + Secret, 404, 403, 403, 202, 404, 202);
        Row("delete:Public", 404, 404, 404, 404, 404, 202);
        Row("delete:missing", 404, 404, 404, 404, 404, 404);
        Row("mkdir:Sales", 404, 403, 201, 403, 201, 201);
        Row("mkdir:" + Secret, 404, 403, 201, 403, 404, 201);
        Row("mkdir:Public", 404, 404, 404, 404, 404, 201);
        Row("rename:Sales", 404, 403, 200, 403, 200, 200);
        Row("rename:" + Secret, 404, 403, 200, 403, 404, 200);
        Row("rename:Public", 404, 404, 404, 404, 404, 200);
        // Their own deleted items: one they may still read (by its own grants and those of the folder it came from) may
        // be refused with a reason (403); one they may no longer read is not found, like any entry they cannot read.
        // Write is needed where it goes back to restore it, Delete there to purge it.
        Row("restore:Sales", 404, 403, 202, 403, 202, 202);
        Row("restore:" + Secret, 404, 403, 202, 403, 404, 202);
        Row("restore:Public", 404, 404, 404, 404, 404, 202);
        Row("restore-other:Sales", 404, 404, 404, 404, 404, 202);
        Row("purge:Sales", 404, 403, 403, 202, 403, 202);
        Row("purge:" + Secret, 404, 403, 403, 202, 404, 202);
        Row("purge:Public", 404, 404, 404, 404, 404, 202);
        Row("purge-other:Sales", 404, 404, 404, 404, 404, 202);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Operation_endpoint_answers_by_grant(string who, string target, int expected)
    {
        var (method, url, body) = Request(who, target);
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var response = await app.Clients[who].SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(expected == (int)response.StatusCode, $"{who} {method} {target}: expected {expected}, got {(int)response.StatusCode} {text}");
        if (expected >= 400)
        {
            using var problem = JsonDocument.Parse(text);
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("code").GetString()));
        }

        if (expected == 404)
        {
            // Nothing about what the caller may not see: no folder, no file name, no job of someone else.
            Assert.DoesNotContain("Secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Public", text, StringComparison.Ordinal);
            Assert.DoesNotContain(".txt", text, StringComparison.Ordinal);
            Assert.DoesNotContain("disk unplugged", text, StringComparison.Ordinal);
        }

        if (expected == 202 && target.StartsWith("move", StringComparison.Ordinal) | target.StartsWith("copy", StringComparison.Ordinal)
            | target.StartsWith("delete", StringComparison.Ordinal))
        {
            var jobId = JsonDocument.Parse(text).RootElement.GetProperty("jobId").GetInt64();
            Assert.Equal($"/api/v1/jobs/{jobId}", response.Headers.Location?.OriginalString);
            var job = await app.Clients[who].GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}");
            Assert.Equal("Queued", job.GetProperty("status").GetString());
            Assert.Equal(app.UserIds[who], job.GetProperty("ownerId").GetGuid());
        }
    }

    private (HttpMethod Method, string Url, object? Body) Request(string who, string target)
    {
        var (kind, folder) = target.Split(':', 2) switch { [var k, var f] => (k, f), [var k] => (k, ""), _ => throw new ArgumentException(target) };
        long Entry(string name) => folder == "missing" ? 999_999_999 : app.PathId($"{folder}/{name}");
        long Id(string key) => app.Ids[key];
        return kind switch
        {
            "jobs" => (HttpMethod.Get, "/api/v1/jobs", null),
            "job" => (HttpMethod.Get, $"/api/v1/jobs/{Id($"job:{folder}:{who}")}", null),
            "cancel" => (HttpMethod.Post, $"/api/v1/jobs/{Id($"job:{folder}:{who}")}/cancel", null),
            "retry" => (HttpMethod.Post, $"/api/v1/jobs/{Id($"job:{folder}:{who}")}/retry", null),
            "trash" => (HttpMethod.Get, "/api/v1/trash", null),
            "move" or "copy" => (HttpMethod.Post, $"/api/v1/operations/{kind}",
                new { entryIds = new[] { Entry($"{kind}-{who}.txt") }, destinationId = folder == "missing" ? 999_999_999 : Entry($"to-{who}"), conflict = "ask" }),
            "delete" => (HttpMethod.Post, "/api/v1/operations/delete", new { entryIds = new[] { Entry($"delete-{who}.txt") } }),
            "mkdir" => (HttpMethod.Post, "/api/v1/folders", new { parentId = app.PathId(folder), name = $"new-{who}" }),
            "rename" => (HttpMethod.Post, $"/api/v1/entries/{Entry($"rename-{who}.txt")}/rename", new { name = $"renamed-{who}.txt" }),
            "restore" or "restore-other" => (HttpMethod.Post, "/api/v1/trash/restore",
                new { trashIds = new[] { Id($"trash:{kind}:{who}:{folder}") }, conflict = "keepBoth" }),
            "purge" or "purge-other" => (HttpMethod.Post, "/api/v1/trash/purge", new { trashIds = new[] { Id($"trash:{kind}:{who}:{folder}") } }),
            _ => throw new ArgumentException(target),
        };
    }
}
