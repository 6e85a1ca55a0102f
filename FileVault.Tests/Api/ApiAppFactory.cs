using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Api;

/// <summary>
/// The app with a small catalog on its seeded root, written straight into the database (no scan):
/// <c>Sales/report.txt</c>, <c>Sales/Secret/plan.txt</c>, <c>Public/readme.txt</c>; plus shortcuts for grants and tokens.
/// </summary>
public class ApiAppFactory : FileVaultAppFactory
{
    private readonly Dictionary<string, long> _ids = [];

    public int RootId { get; private set; }

    public long Id(string path) => _ids[path];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await WaitUntilReadyAsync();
        await using var db = Database.CreateDbContext();
        RootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        foreach (var path in new[] { "", "Sales", "Public", "Sales/report.txt", "Sales/Secret", "Sales/Secret/plan.txt", "Public/readme.txt" })
        {
            var name = path.Length == 0 ? "" : path[(path.LastIndexOf('/') + 1)..];
            var parent = path.Length == 0 ? (long?)null : _ids[path.Contains('/', StringComparison.Ordinal) ? path[..path.LastIndexOf('/')] : ""];
            var existing = await db.Entries.Where(e => e.RootId == RootId && e.RelativePath == path).Select(e => (long?)e.Id).SingleOrDefaultAsync();
            if (existing is { } id)
            {
                _ids[path] = id;
                continue;
            }

            var entry = new Entry
            {
                RootId = RootId,
                ParentId = parent,
                Name = name,
                NameKey = name.ToLowerInvariant(),
                RelativePath = path,
                Kind = name.Contains('.', StringComparison.Ordinal) ? EntryKind.File : EntryKind.Directory,
                ModifiedAt = DateTimeOffset.UtcNow,
            };
            db.Entries.Add(entry);
            await db.SaveChangesAsync();
            _ids[path] = entry.Id;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Tests sign in far more often than a person; the limit has its own test class.
        builder.UseSetting("FileVault:RateLimits:PerAddress", "10000");
        builder.UseSetting("FileVault:RateLimits:PerEmail", "10000");
    }

    public async Task GrantAsync(Guid userId, string path, Permission permissions, GrantEffect effect = GrantEffect.Allow)
    {
        await using var db = Database.CreateDbContext();
        db.FolderGrants.Add(new FolderGrant
        {
            RootId = RootId,
            RelativePath = path,
            UserId = userId,
            Permissions = permissions,
            Effect = effect,
            CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// The grants of one matrix case on <c>Sales</c>: none, read, write, delete, or write with a deny on
    /// <c>Sales/Secret</c> under it (admins need none).
    /// </summary>
    public async Task GrantMatrixCaseAsync(string matrixCase, Guid userId)
    {
        switch (matrixCase)
        {
            case "read":
                await GrantAsync(userId, "Sales", Permission.Read);
                break;
            case "write":
                await GrantAsync(userId, "Sales", Permission.Read | Permission.Write);
                break;
            case "delete":
                await GrantAsync(userId, "Sales", Permission.Read | Permission.Delete);
                break;
            case "deny-under-allow":
                await GrantAsync(userId, "Sales", Permission.Read | Permission.Write);
                await GrantAsync(userId, "Sales/Secret", Permission.Read | Permission.Write, GrantEffect.Deny);
                break;
        }
    }

    /// <summary>POST /api/v1/auth/token with a password; the parsed JSON response.</summary>
    public async Task<JsonElement> TokenAsync(string email, string password)
    {
        using var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/v1/auth/token", new { email, password });
        Assert.True(response.IsSuccessStatusCode, $"token: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A client that sends the given bearer token.</summary>
    public HttpClient Bearer(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client with a fresh access token for the user.</summary>
    public async Task<HttpClient> BearerForAsync(string email, string password = UserPassword) =>
        Bearer((await TokenAsync(email, password)).GetProperty("access_token").GetString()!);
}
