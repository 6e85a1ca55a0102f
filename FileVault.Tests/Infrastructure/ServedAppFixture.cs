using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The app on a real socket (curl, Node's tus-js-client or nginx talk to it) — or in memory, for tests that need no
/// socket — over a root the fixture has written and scanned, with a bearer token of the first admin. A fixture writes
/// its files, then calls <see cref="ServeAsync"/>.
/// </summary>
public abstract class ServedAppFixture : FileVaultAppFactory
{
    /// <summary>The real socket's address; null when the app is served in memory only.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    public int RootId { get; private set; }

    /// <summary>A bearer token of the first admin.</summary>
    public string AdminToken { get; private set; } = default!;

    /// <summary>
    /// Starts Kestrel (or, with <paramref name="onSocket"/> false, only the in-memory test server, which
    /// <see cref="Client"/> then goes through), waits until the app is ready, scans the root and takes the admin's token.
    /// </summary>
    protected async Task ServeAsync(bool onSocket = true)
    {
        if (onSocket)
        {
            BaseAddress = StartKestrel();
        }

        await WaitUntilReadyAsync();
        await using (var db = Database.CreateDbContext())
        {
            RootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        await ScanAsync();
        AdminToken = await TokenAsync(AdminEmail, AdminPassword);
    }

    public async Task ScanAsync()
    {
        var run = await Services.GetRequiredService<Scanner>().RunAsync(RootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
    }

    public async Task<string> TokenAsync(string email, string password)
    {
        using var client = Client();
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email, password });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        return (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    /// <summary>A client of the real socket (or of the in-memory server), with a bearer token when given one.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = BaseAddress is null
            ? CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false })
            : new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
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

    /// <summary>Writes a file into the root, with its folders (the catalog learns of it at the next scan).</summary>
    public void Write(string relative, byte[] content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }
}
