using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Downloads;

/// <summary>Downloads take no lock and touch no Redis: with Redis down a file and a ZIP still come whole (R-DEG-1).</summary>
public sealed class RedisDownDownloadTests(RedisDownAppFactory app) : IClassFixture<RedisDownAppFactory>
{
    [Fact]
    public async Task A_file_and_a_zip_download_while_redis_is_down()
    {
        var file = Path.Combine(app.StorageDirectory, "보관", "목록.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "still here");
        await app.WaitUntilReadyAsync();
        int rootId;
        await using (var db = app.Database.CreateDbContext())
        {
            rootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        Assert.Equal(ScanStatus.Completed, (await app.Services.GetRequiredService<Scanner>().RunAsync(rootId, ScanKind.Full, "test", CancellationToken.None)).Status);
        long fileId, folderId;
        await using (var db = app.Database.CreateDbContext())
        {
            fileId = await db.Entries.Where(e => e.RelativePath == "보관/목록.txt" && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
            folderId = await db.Entries.Where(e => e.RelativePath == "보관" && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
        }

        using var client = app.CreateClient();
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = FileVaultAppFactory.AdminEmail, password = FileVaultAppFactory.AdminPassword });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString());

        var content = await client.GetAsync($"/api/v1/entries/{fileId}/content");
        var zip = await client.PostAsJsonAsync("/api/v1/downloads/zip", new { ids = new[] { folderId } });

        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Equal("still here", await content.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
        using var archive = new ZipArchive(await zip.Content.ReadAsStreamAsync());
        Assert.Equal(["보관/", "보관/목록.txt"], archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
    }
}
