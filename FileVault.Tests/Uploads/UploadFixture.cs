using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// The app on a real socket (tus-js-client talks to it from Node) over a scanned root: <c>Sales</c> (with
/// <c>Sales/Secret</c> and <c>Sales/taken.txt</c>) and <c>Public</c>, on disk and in the catalog.
/// </summary>
public sealed class UploadFixture : FileVaultAppFactory
{
    public Uri BaseAddress { get; private set; } = default!;

    public int RootId { get; private set; }

    /// <summary>A folder of <c>Sales</c> named on a Mac, in NFD, as the catalog and its grants spell it ("기밀").</summary>
    public static readonly string MacSecret = "기밀".Normalize(System.Text.NormalizationForm.FormD);

    /// <summary>A bearer token of the first admin.</summary>
    public string AdminToken { get; private set; } = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(PathOf("Sales/Secret"));
        Directory.CreateDirectory(PathOf("Sales/" + MacSecret));
        Directory.CreateDirectory(PathOf("Public"));
        await File.WriteAllTextAsync(PathOf("Sales/taken.txt"), "already here");
        // Some tests put the repository's nginx (on this machine) in front: its forwarded headers come from loopback.
        Settings["FileVault:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        BaseAddress = StartKestrel();
        await WaitUntilReadyAsync();
        await using (var db = Database.CreateDbContext())
        {
            RootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        var run = await Services.GetRequiredService<Scanner>().RunAsync(RootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
        AdminToken = await TokenAsync(AdminEmail, AdminPassword);
    }

    public async Task<string> TokenAsync(string email, string password)
    {
        using var client = Client();
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email, password });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        return (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// A new user's bearer token, with the grants of one matrix case on <c>Sales</c>: none, read, write, or write with a deny
    /// on <c>Sales/Secret</c>; "admin" makes an admin.
    /// </summary>
    public async Task<string> UserTokenAsync(string matrixCase)
    {
        var email = $"{matrixCase}-{Guid.NewGuid():N}@uploads.test";
        var user = await CreateUserAsync(email, matrixCase == "admin" ? Roles.Admin : Roles.User);
        var grants = matrixCase switch
        {
            "read" => new[] { ("Sales", Permission.Read, GrantEffect.Allow) },
            "write" => [("Sales", Permission.Read | Permission.Write, GrantEffect.Allow)],
            "deny-under-allow" =>
            [
                ("Sales", Permission.Read | Permission.Write, GrantEffect.Allow),
                ("Sales/Secret", Permission.Read | Permission.Write, GrantEffect.Deny),
                ("Sales/" + MacSecret, Permission.Read | Permission.Write, GrantEffect.Deny),
            ],
            _ => [],
        };
        await using (var db = Database.CreateDbContext())
        {
            foreach (var (path, permissions, effect) in grants)
            {
                db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = path, UserId = user.Id, Permissions = permissions, Effect = effect, CreatedAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        return await TokenAsync(email, UserPassword);
    }

    /// <summary>A client of the real socket, with a bearer token when given one.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public HttpClient Admin() => Client(AdminToken);

    public async Task<long> IdAsync(string relativePath)
    {
        await using var db = Database.CreateDbContext();
        return await db.Entries.Where(e => e.RootId == RootId && e.RelativePath == relativePath && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    public string PathOf(string relative) => Path.Combine(StorageDirectory, relative);

    public string StagingPathOf(string uploadId) => Path.Combine(StorageDirectory, ".filevault-staging", uploadId);

    /// <summary>Upload-Metadata for the pairs given (values base64, as tus sends them).</summary>
    public static string Metadata(params (string Key, string Value)[] pairs) =>
        string.Join(',', pairs.Select(p => p.Key + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))));
}
