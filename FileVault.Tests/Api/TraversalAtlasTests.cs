using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Api;

/// <summary>
/// R-TEST-1: every endpoint that takes a path or a name, called by an admin (who may do the most) with the classic
/// traversal and hostile spellings. Each is refused with a ProblemDetails code, or, where the spelling is a legal name
/// (<c>%2e%2e</c> is just a name once decoded), makes that name inside the root; nothing outside the root is ever read,
/// created or changed: a canary beside the root keeps its bytes and never shows in a response.
/// </summary>
public sealed class TraversalAtlasTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>, IAsyncLifetime
{
    private const string Canary = "canary: outside every root";

    // Every hostile spelling contains "pwned", so anything it made outside the root can be found by name.
    public static TheoryData<string> Names() =>
    [
        "..",
        ".",
        "../pwned",
        "../../pwned",
        "../../../../../../tmp/pwned",
        "/tmp/pwned",
        "pwned/../../x",
        "pwned/sub",
        "pwned\\..\\..\\x",
        "..\\pwned",
        "pwned\0.txt",
        "pwned\n.txt",
        "pwned\r\nSet-Cookie: x=1",
        "pwned\t.txt",
        "pwned\u007f",
        new string('가', 86) + "pwned",
        ".filevault-trash",
        ".filevault-staging",
        ".filevault-part-pwned",
        "CON",
        "pwned.",
        "pwned ",
        "pwned:stream",
        "pwned?.txt",
        "",
        "   ",
    ];

    // Spellings that are legal names: they must land inside the root, under exactly that (NFC) name.
    private static readonly string[] LegalTricky =
    [
        "%2e%2e-pwned",
        "..%2fpwned",
        "a..b-pwned",
        "..hidden-pwned",
        "한글-pwned".Normalize(NormalizationForm.FormD),
    ];

    public static TheoryData<string> LegalTrickyNames() => new(LegalTricky);

    private string Outside => app.StorageDirectory.TrimEnd('/') + "-outside";

    private string Parent => Path.GetDirectoryName(app.StorageDirectory.TrimEnd('/'))!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Outside);
        await File.WriteAllTextAsync(Path.Combine(Outside, "canary.txt"), Canary);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_hostile_new_folder_name_is_refused_and_touches_nothing(string name)
    {
        using var admin = await AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/v1/folders", new { parentId = app.Id(""), name });
        await AssertRefusedAsync(response);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_hostile_rename_is_refused_and_the_entry_keeps_its_name(string name)
    {
        using var admin = await AdminAsync();
        var target = await NewFolderAsync(admin, "rename-target-" + Guid.NewGuid().ToString("N")[..8]);
        var response = await admin.PostAsJsonAsync($"/api/v1/entries/{target.Id}/rename", new { name });
        await AssertRefusedAsync(response);
        Assert.True(Directory.Exists(Path.Combine(app.StorageDirectory, target.Name)));
    }

    // ".zip" is appended to an archive's name and surrounding spaces are trimmed, so "..", "." or "pwned." become legal
    // names ("...zip"); what stays hostile with the suffix must be refused.
    public static TheoryData<string> ArchiveNames() =>
        new(((IEnumerable<object[]>)Names()).Select(row => (string)row[0])
            .Where(name => name.Any(c => c is '/' or '\\' or ':' or '?' || char.IsControl(c)) || Encoding.UTF8.GetByteCount(name) > 250));

    [Theory]
    [MemberData(nameof(ArchiveNames))]
    public async Task A_hostile_archive_name_is_refused(string name)
    {
        using var admin = await AdminAsync();
        var source = await NewFolderAsync(admin, "zip-source-" + Guid.NewGuid().ToString("N")[..8]);
        var response = await admin.PostAsJsonAsync("/api/v1/operations/compress", new { entryIds = new[] { source.Id }, name, conflict = "ask" });
        await AssertRefusedAsync(response);
    }

    // "" is the root itself, a path a grant may name.
    public static TheoryData<string> GrantPaths() => new(((IEnumerable<object[]>)Names()).Select(row => (string)row[0]).Where(path => path.Length > 0));

    [Theory]
    [MemberData(nameof(GrantPaths))]
    public async Task A_hostile_grant_path_is_refused_everywhere_a_path_is_taken(string path)
    {
        using var admin = await AdminAsync();
        var me = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/admin/users?search=admin"))[0].GetProperty("id").GetGuid();
        var create = await admin.PostAsJsonAsync("/api/v1/admin/grants",
            new { rootId = app.RootId, relativePath = path, userId = me, permissions = "Read", effect = "Allow" });
        await AssertRefusedAsync(create);

        foreach (var url in new[]
                 {
                     $"/api/v1/admin/grants?rootId={app.RootId}&path={Uri.EscapeDataString(path)}",
                     $"/api/v1/admin/grants/explain?userId={me}&rootId={app.RootId}&path={Uri.EscapeDataString(path)}",
                 })
        {
            var response = await admin.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(Canary, body, StringComparison.Ordinal);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
            if (response.StatusCode == HttpStatusCode.OK && path.Contains("pwned", StringComparison.Ordinal))
            {
                // Listing grants on a path no grant can name finds none; it never names a folder outside the root.
                Assert.DoesNotContain("pwned", body, StringComparison.Ordinal);
            }
        }

        AssertNothingOutside();
    }

    [Theory]
    [MemberData(nameof(LegalTrickyNames))]
    public async Task A_legal_name_that_looks_hostile_is_made_inside_the_root_as_written(string name)
    {
        using var admin = await AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/v1/folders", new { parentId = app.Id(""), name });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(Directory.Exists(Path.Combine(app.StorageDirectory, name.Normalize(NormalizationForm.FormC))), name);
        AssertNothingOutside();
    }

    [Theory]
    [InlineData("..%2F..%2F")]
    [InlineData("%2e%2e/%2e%2e/")]
    [InlineData("..;/..;/")]
    [InlineData("%252e%252e%252f")]
    public async Task The_folder_page_never_shows_what_lies_outside(string prefix)
    {
        using var browser = app.CreateBrowserLikeClient();
        await FileVaultAppFactory.PostSignInAsync(browser, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var outside = Path.GetFileName(Outside);

        var response = await browser.GetAsync($"/files/{app.RootId}/{prefix}{outside}");

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode}");
        Assert.DoesNotContain(Canary, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("canary.txt", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        AssertNothingOutside();
    }

    [Theory]
    [InlineData("x\0y")]
    [InlineData("../x")]
    [InlineData("/etc")]
    public async Task A_folder_path_that_no_folder_can_have_is_not_found_not_an_error(string path)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        var admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);

        var resolved = await browser.ResolveFolderAsync(admin, app.RootId, path, CancellationToken.None);

        Assert.Equal("entry.not_found", resolved.Error?.Code);
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.Conflict,
            $"{(int)response.StatusCode} {body}");
        var code = JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
        Assert.Matches("^(path|name|entry|grant|compress)\\.", code);
        Assert.DoesNotContain(Canary, body, StringComparison.Ordinal);
        AssertNothingOutside();
    }

    private void AssertNothingOutside()
    {
        Assert.Equal(Canary, File.ReadAllText(Path.Combine(Outside, "canary.txt")));
        Assert.Equal(["canary.txt"], Directory.GetFileSystemEntries(Outside).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(Parent, "*pwned*"));
        // Inside the root, nothing a hostile spelling made either: only the legal-name test makes "pwned" names there.
        Assert.DoesNotContain(Directory.GetFileSystemEntries(app.StorageDirectory, "*", SearchOption.AllDirectories),
            path => path.Contains("pwned", StringComparison.Ordinal) && !IsLegalTrickyName(Path.GetFileName(path)));
    }

    private static bool IsLegalTrickyName(string name) =>
        LegalTricky.Any(legal => legal.Normalize(NormalizationForm.FormC) == name);

    private async Task<(long Id, string Name)> NewFolderAsync(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/folders", new { parentId = app.Id(""), name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), name);
    }

    private Task<HttpClient> AdminAsync() => app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
}
