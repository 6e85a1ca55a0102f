using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The app on a real socket (curl, Node's tus-js-client or nginx talk to it) over a root the fixture has written and
/// scanned, with a bearer token of the first admin. A fixture writes its files, then calls <see cref="ServeAsync"/>.
/// </summary>
public abstract class ServedAppFixture : FileVaultAppFactory
{
    public Uri BaseAddress { get; private set; } = default!;

    public int RootId { get; private set; }

    /// <summary>A bearer token of the first admin.</summary>
    public string AdminToken { get; private set; } = default!;

    /// <summary>Starts Kestrel, waits until the app is ready, scans the root and takes the admin's token.</summary>
    protected async Task ServeAsync()
    {
        BaseAddress = StartKestrel();
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
}
