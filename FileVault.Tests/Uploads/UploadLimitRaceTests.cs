using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Uploads;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>The app with small per-user upload limits: 5 unfinished uploads, 500 staged bytes.</summary>
public sealed class UploadLimitFixture : FileVaultAppFactory
{
    public const int MaxOpen = 5;
    public const long MaxStagedBytes = 500;

    public UploadLimitFixture()
    {
        Settings["FileVault:Uploads:MaxConcurrentPerUser"] = MaxOpen.ToString(CultureInfo.InvariantCulture);
        Settings["FileVault:Uploads:MaxStagingBytesPerUser"] = MaxStagedBytes.ToString(CultureInfo.InvariantCulture);
    }

    public long InboxId { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(Path.Combine(StorageDirectory, "Inbox"));
        await WaitUntilReadyAsync();
        await using var db = Database.CreateDbContext();
        var rootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        Assert.Equal(ScanStatus.Completed, (await Services.GetRequiredService<Scanner>().RunAsync(rootId, ScanKind.Full, "test", CancellationToken.None)).Status);
        InboxId = await db.Entries.Where(e => e.RootId == rootId && e.RelativePath == "Inbox" && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    /// <summary>A new Admin (who may write to Inbox) and a client with their bearer token.</summary>
    public async Task<(Guid UserId, HttpClient Client)> NewUploaderAsync()
    {
        var email = $"uploader-{Guid.NewGuid():N}@limits.test";
        var user = await CreateUserAsync(email, Roles.Admin);
        var client = CreateClient();
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email, password = UserPassword });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return (user.Id, client);
    }
}

/// <summary>
/// The per-user upload limits hold under parallel creations: the count and the insert are one step, so twenty tus
/// creations at once leave exactly as many open uploads as the limit allows.
/// </summary>
public sealed class UploadLimitRaceTests(UploadLimitFixture app) : IClassFixture<UploadLimitFixture>
{
    [Fact]
    public async Task Parallel_creations_past_the_open_upload_limit_create_exactly_the_limit()
    {
        var (userId, client) = await app.NewUploaderAsync();
        using var _ = client;

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => CreateAsync(client, $"count-{i}.bin", 1)));

        Assert.Equal(UploadLimitFixture.MaxOpen, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode));
        Assert.Equal(UploadLimitFixture.MaxOpen, await OpenUploadsAsync(userId));
    }

    [Fact]
    public async Task Parallel_creations_past_the_staging_bytes_limit_create_exactly_what_fits()
    {
        var (userId, client) = await app.NewUploaderAsync();
        using var _ = client;

        // Four uploads of 120 bytes fit in 500, a fifth does not; the open-upload limit (5) is not what stops them.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => CreateAsync(client, $"bytes-{i}.bin", 120)));

        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode));
        Assert.Equal(4, await OpenUploadsAsync(userId));
    }

    private Task<HttpResponseMessage> CreateAsync(HttpClient client, string name, long length)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", length.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Upload-Metadata", UploadFixture.Metadata(
            ("filename", $"{Guid.NewGuid():N}-{name}"), ("destination", app.InboxId.ToString(CultureInfo.InvariantCulture))));
        return client.SendAsync(request);
    }

    /// <summary>The user's unfinished uploads, as the database holds them.</summary>
    private async Task<int> OpenUploadsAsync(Guid userId)
    {
        await using var db = app.Database.CreateDbContext();
        return await db.Uploads.CountAsync(u => u.OwnerId == userId && u.Status == UploadStatus.Receiving);
    }
}
