using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;

namespace FileVault.Tests.Api;

/// <summary>Users with each grant case, on <c>Sales</c>, and a token for each.</summary>
public sealed class EntryMatrixFixture : ApiAppFactory
{
    public const string None = "none", Read = "read", Write = "write", Delete = "delete", DenyUnderAllow = "deny-under-allow", Admin = "admin";

    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // The catalog rows exist already; downloads read the bytes from the disk.
        foreach (var path in new[] { "Sales/report.txt", "Sales/Secret/plan.txt", "Public/readme.txt" })
        {
            var file = Path.Combine(StorageDirectory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "content of " + path);
        }

        foreach (var who in new[] { None, Read, Write, Delete, DenyUnderAllow, Admin })
        {
            var user = await CreateUserAsync($"{who}@matrix.test", who == Admin ? Roles.Admin : Roles.User);
            await GrantMatrixCaseAsync(who, user.Id);

            Clients[who] = await BearerForAsync(user.Email!);
        }
    }
}

/// <summary>
/// Every entry endpoint, and search in a folder, for every grant case (R-AUTH-1): what the caller cannot read answers
/// 404 and names nothing, downloads and ZIPs included (R-DL-6); what they can read but not write answers 403 to a change.
/// </summary>
public sealed class EntryApiMatrixTests(EntryMatrixFixture app) : IClassFixture<EntryMatrixFixture>
{
    private const string N = EntryMatrixFixture.None, R = EntryMatrixFixture.Read, W = EntryMatrixFixture.Write,
        D = EntryMatrixFixture.Delete, X = EntryMatrixFixture.DenyUnderAllow, A = EntryMatrixFixture.Admin;

    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        void Row(string method, string path, int none, int read, int write, int delete, int deny, int admin)
        {
            data.Add(N, method, path, none);
            data.Add(R, method, path, read);
            data.Add(W, method, path, write);
            data.Add(D, method, path, delete);
            data.Add(X, method, path, deny);
            data.Add(A, method, path, admin);
        }

        //   method       target                              none read write delete deny admin
        Row("GET", "entry:Sales/report.txt", 404, 200, 200, 200, 200, 200);
        Row("GET", "entry:Sales/Secret/plan.txt", 404, 200, 200, 200, 404, 200);
        Row("GET", "entry:Sales/Secret", 404, 200, 200, 200, 404, 200);
        Row("GET", "entry:Public/readme.txt", 404, 404, 404, 404, 404, 200);
        Row("GET", "entry:missing", 404, 404, 404, 404, 404, 404);
        Row("GET", "children:Sales", 404, 200, 200, 200, 200, 200);
        Row("GET", "children:Sales/Secret", 404, 200, 200, 200, 404, 200);
        Row("GET", "children:Public", 404, 404, 404, 404, 404, 200);
        Row("GET", "children:missing", 404, 404, 404, 404, 404, 404);
        Row("PUT", "description:Sales/report.txt", 404, 403, 200, 403, 200, 200);
        Row("PUT", "description:Sales/Secret/plan.txt", 404, 403, 200, 403, 404, 200);
        Row("PUT", "description:Public/readme.txt", 404, 404, 404, 404, 404, 200);
        Row("PUT", "description:missing", 404, 404, 404, 404, 404, 404);
        Row("GET", "roots", 200, 200, 200, 200, 200, 200);
        Row("GET", "content:Sales/report.txt", 404, 200, 200, 200, 200, 200);
        Row("GET", "content:Sales/Secret/plan.txt", 404, 200, 200, 200, 404, 200);
        Row("GET", "content:Public/readme.txt", 404, 404, 404, 404, 404, 200);
        Row("GET", "content:Sales", 404, 400, 400, 400, 400, 400);
        Row("GET", "content:missing", 404, 404, 404, 404, 404, 404);
        Row("POST", "zip:Sales/report.txt", 404, 200, 200, 200, 200, 200);
        Row("POST", "zip:Sales/Secret", 404, 200, 200, 200, 404, 200);
        Row("POST", "zip:Sales/report.txt+Public/readme.txt", 404, 404, 404, 404, 404, 200);
        Row("POST", "zip:Sales/report.txt+missing", 404, 404, 404, 404, 404, 404);
        Row("GET", "search", 200, 200, 200, 200, 200, 200);
        Row("GET", "search:Sales", 404, 200, 200, 200, 200, 200);
        Row("GET", "search:Sales/Secret", 404, 200, 200, 200, 404, 200);
        Row("GET", "search:Public", 404, 404, 404, 404, 404, 200);
        Row("GET", "search:missing", 404, 404, 404, 404, 404, 404);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Entry_endpoint_answers_by_grant(string who, string method, string target, int expected)
    {
        var (kind, path) = target.Split(':') switch { [var k, var p] => (k, p), [var k] => (k, ""), _ => throw new ArgumentException(target) };
        var ids = kind == "roots" ? [] : path.Split('+').Select(p => p == "missing" ? 999_999_999 : app.Id(p)).ToArray();
        var url = kind switch
        {
            "entry" => $"/api/v1/entries/{ids[0]}",
            "children" => $"/api/v1/entries/{ids[0]}/children",
            "description" => $"/api/v1/entries/{ids[0]}/description",
            "content" => $"/api/v1/entries/{ids[0]}/content",
            "zip" => "/api/v1/downloads/zip",
            // A search under the folder (none: everywhere the caller may read).
            "search" => path.Length == 0 ? "/api/v1/search?q=txt" : $"/api/v1/search?q=txt&folder={ids[0]}",
            _ => "/api/v1/roots",
        };

        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Content = kind switch
        {
            "description" => JsonContent.Create(new { description = $"note by {who}" }),
            "zip" => JsonContent.Create(new { ids }),
            _ => null,
        };

        var response = await app.Clients[who].SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(expected == (int)response.StatusCode, $"{who} {method} {target}: expected {expected}, got {(int)response.StatusCode} {body}");
        if (expected >= 400)
        {
            using var problem = JsonDocument.Parse(body);
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("code").GetString()));
            // Nothing about an entry the caller may not see: not its name, not its path.
            Assert.DoesNotContain("plan.txt", body, StringComparison.Ordinal);
            Assert.DoesNotContain("readme", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Secret", body, StringComparison.Ordinal);
            Assert.DoesNotContain("content of", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Children_leave_out_a_denied_subfolder_and_roots_list_only_granted_folders()
    {
        var deny = await app.Clients[X].GetFromJsonAsync<JsonElement>($"/api/v1/entries/{app.Id("Sales")}/children");
        var names = deny.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ToList();
        Assert.Equal(["report.txt"], names);

        var read = await app.Clients[R].GetFromJsonAsync<JsonElement>($"/api/v1/entries/{app.Id("Sales")}/children");
        Assert.Equal(["Secret", "report.txt"], read.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ToList());

        Assert.Empty((await app.Clients[N].GetFromJsonAsync<JsonElement>("/api/v1/roots")).EnumerateArray());
        var roots = await app.Clients[R].GetFromJsonAsync<JsonElement>("/api/v1/roots");
        Assert.Equal(["Sales"], roots.EnumerateArray().Select(r => r.GetProperty("relativePath").GetString()).ToList());
    }

    [Fact]
    public async Task A_zip_of_a_readable_folder_leaves_out_a_denied_subfolder_and_an_unreadable_id_sends_nothing()
    {
        var allowed = await app.Clients[X].PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { app.Id("Sales") } });
        var mixed = await app.Clients[R].PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { app.Id("Sales/report.txt"), app.Id("Public/readme.txt") } });

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var zip = new ZipArchive(await allowed.Content.ReadAsStreamAsync());
        Assert.Equal(["Sales/", "Sales/report.txt"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, mixed.StatusCode);
        Assert.Equal("application/problem+json", mixed.Content.Headers.ContentType?.MediaType);
        var body = await mixed.Content.ReadAsStringAsync();
        Assert.DoesNotContain("content of", body, StringComparison.Ordinal);
        Assert.DoesNotContain("readme", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Children_page_with_a_cursor_until_the_folder_ends()
    {
        var first = await app.Clients[A].GetFromJsonAsync<JsonElement>($"/api/v1/entries/{app.Id("Sales")}/children?pageSize=1&sort=Name");
        var cursor = first.GetProperty("nextCursor").GetString();
        Assert.Equal("Secret", first.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.NotNull(cursor);

        var second = await app.Clients[A].GetFromJsonAsync<JsonElement>(
            $"/api/v1/entries/{app.Id("Sales")}/children?pageSize=1&sort=Name&after={Uri.EscapeDataString(cursor)}");
        Assert.Equal("report.txt", second.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);

        var bad = await app.Clients[A].GetAsync($"/api/v1/entries/{app.Id("Sales")}/children?after=garbage");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("browse.cursor_invalid", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Description_is_stored_trimmed_limited_and_audited()
    {
        var id = app.Id("Public/readme.txt");
        var response = await app.Clients[A].PutAsJsonAsync($"/api/v1/entries/{id}/description", new { description = "  hello  " });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("description").GetString());

        var tooLong = await app.Clients[A].PutAsJsonAsync($"/api/v1/entries/{id}/description", new { description = new string('x', 2001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("entry.description_too_long", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        await using var db = app.Database.CreateDbContext();
        Assert.Equal("hello", db.Entries.Single(e => e.Id == id).Description);
        Assert.Contains(db.AuditLog, a => a.Action == "entry.describe" && a.Target == $"entry:{id}");
    }
}
