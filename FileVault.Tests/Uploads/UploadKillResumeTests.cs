using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Uploads;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// The app as its own process, killed with SIGKILL while a PATCH streams into it: the one-PATCH-at-a-time lease the dead
/// process held must not outlive it. Another instance takes the upload the moment PostgreSQL has seen the process go,
/// the restarted app answers the client's first HEAD and PATCH at once, and the file lands with the right SHA-256.
/// </summary>
[Collection(JobRunnerProcessCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UploadKillResumeTests : IAsyncLifetime
{
    private const string AdminEmail = "kill-upload@filevault.test";
    private const string AdminPassword = "kill-upload-pw-2026";
    private const int Chunk = 8 * 1024 * 1024;
    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root => Directory.CreateDirectory(Path.Combine(root, "in")));
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_patch_cut_off_by_SIGKILL_leaves_no_lease_and_the_resume_goes_through_at_once_with_the_right_sha256()
    {
        var bytes = RandomNumberGenerator.GetBytes(5 * Chunk);
        var url = new Uri($"http://127.0.0.1:{TestEnvironment.FreeLoopbackPort()}");
        var sessions = "fv-kill-upload-" + Guid.NewGuid().ToString("N")[..8];
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        var app = await StartAsync(client, url, sessions);
        string location;
        try
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client));
            var folderId = (await _harness.CatalogAsync())["in"].Id;
            var create = Tus(HttpMethod.Post, "/api/v1/uploads");
            create.Headers.Add("Upload-Length", bytes.Length.ToString(CultureInfo.InvariantCulture));
            create.Headers.Add("Upload-Metadata", UploadFixture.Metadata(("filename", "killed.bin"), ("destination", folderId.ToString(CultureInfo.InvariantCulture))));
            var created = await client.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            location = created.Headers.Location!.OriginalString;
            Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(Patch(location, 0, new ByteArrayContent(bytes, 0, Chunk)))).StatusCode);

            // The second chunk streams half of itself, then holds: the request is inside its PATCH, holding the lease.
            var staging = _harness.PathOf(Path.Combine(PathGuard.StagingDirectoryName, location.Split('/')[^1]));
            var gate = new TaskCompletionSource();
            var cut = client.SendAsync(Patch(location, Chunk, new UploadProtocolTests.GatedContent(bytes[Chunk..(2 * Chunk)], Chunk / 2, gate.Task)));
            await Poll.UntilAsync(() => Task.FromResult(new FileInfo(staging).Length > Chunk || cut.IsCompleted), "the second PATCH to write");
            Assert.False(cut.IsCompleted, "the second PATCH ended before the kill");

            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
            gate.SetResult();
            try
            {
                await cut;
            }
            catch (HttpRequestException)
            {
                // The connection died with the app, as it should.
            }
        }
        finally
        {
            Stop(app);
        }

        var id = location.Split('/')[^1];
        await Poll.UntilAsync(async () => !await HasSessionsAsync(sessions), "PostgreSQL to see the killed app's sessions end");

        // At once, with no restart and no wait: another instance (this process's Core) takes the upload.
        await using (var scope = _harness.CreateScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<UploadStore>();
            var owner = await OwnerAsync(id);
            var state = await store.GetAsync(owner, id, CancellationToken.None);
            Assert.True(state.IsSuccess, state.Error?.ToString());
            Assert.Equal(Chunk, state.Value.Offset);
            var appended = await store.AppendAsync(owner, id, Chunk, new MemoryStream(bytes, Chunk, Chunk), Chunk, null, null, CancellationToken.None);
            Assert.True(appended.IsSuccess, appended.Error?.ToString());
            Assert.Equal(2L * Chunk, appended.Value.Offset);
        }

        // The client's resume against the restarted app: its first HEAD and its first PATCH are answered, not 423.
        app = await StartAsync(client, url, sessions);
        try
        {
            var head = await client.SendAsync(Tus(HttpMethod.Head, location));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            var offset = long.Parse(head.Headers.GetValues("Upload-Offset").Single(), CultureInfo.InvariantCulture);
            Assert.Equal(2L * Chunk, offset);
            var last = Patch(location, offset, new ByteArrayContent(bytes, (int)offset, bytes.Length - (int)offset));
            last.Headers.Add("FileVault-Sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
            var resumed = await client.SendAsync(last);

            Assert.Equal(HttpStatusCode.NoContent, resumed.StatusCode);
            Assert.True(resumed.Headers.Contains("FileVault-Entry-Id"));
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(_harness.PathOf("in/killed.bin"))));
            Assert.False(File.Exists(_harness.PathOf(Path.Combine(PathGuard.StagingDirectoryName, id))));
        }
        finally
        {
            Stop(app);
        }
    }

    [Fact]
    public async Task Small_files_acknowledged_with_their_creation_survive_a_SIGKILL_whole_on_disk_and_in_the_catalog()
    {
        // As a folder upload sends them: three at a time, each whole in its creation. The app is killed mid-stream.
        var files = Enumerable.Range(0, 60).Select(i => (Name: $"small-{i:D2}.bin", Bytes: RandomNumberGenerator.GetBytes(10_240))).ToArray();
        var url = new Uri($"http://127.0.0.1:{TestEnvironment.FreeLoopbackPort()}");
        var sessions = "fv-kill-small-" + Guid.NewGuid().ToString("N")[..8];
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        var app = await StartAsync(client, url, sessions);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        try
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client));
            var folderId = (await _harness.CatalogAsync())["in"].Id;
            var next = -1;
            async Task SendAsync()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < files.Length)
                {
                    var (name, bytes) = files[i];
                    var create = Tus(HttpMethod.Post, "/api/v1/uploads");
                    create.Headers.Add("Upload-Length", bytes.Length.ToString(CultureInfo.InvariantCulture));
                    create.Headers.Add("Upload-Metadata", UploadFixture.Metadata(("filename", name), ("destination", folderId.ToString(CultureInfo.InvariantCulture))));
                    create.Headers.Add("FileVault-Sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
                    create.Content = new ByteArrayContent(bytes);
                    create.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
                    try
                    {
                        using var created = await client.SendAsync(create);
                        if (created.StatusCode == HttpStatusCode.Created)
                        {
                            acknowledged[name] = long.Parse(created.Headers.GetValues("FileVault-Entry-Id").Single(), CultureInfo.InvariantCulture);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Cut off by the kill: never acknowledged.
                    }
                }
            }

            var senders = Enumerable.Range(0, 3).Select(_ => Task.Run(SendAsync)).ToArray();
            await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count >= 10 || senders.All(s => s.IsCompleted)), "ten small files to be acknowledged");
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
            await Task.WhenAll(senders);
        }
        finally
        {
            Stop(app);
        }

        Assert.True(acknowledged.Count >= 10, $"only {acknowledged.Count} files were acknowledged before the kill");
        await using var db = _harness.Database.CreateDbContext();
        foreach (var (name, bytes) in files)
        {
            var onDisk = _harness.PathOf("in/" + name);
            if (acknowledged.TryGetValue(name, out var entryId))
            {
                // Told 201: the bytes under the final name, the catalog row with their hash, the upload recorded completed, the audit row.
                Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(onDisk)));
                var entry = await db.Entries.AsNoTracking().SingleAsync(e => e.Id == entryId);
                Assert.Equal("in/" + name, entry.RelativePath);
                Assert.Equal(SHA256.HashData(bytes), entry.ContentHash);
                Assert.True(await db.Uploads.AnyAsync(u => u.EntryId == entryId && u.Status == UploadStatus.Completed), $"{name} has no completed upload record");
                Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "entry.upload" && a.Target.EndsWith("/in/" + name)), $"{name} has no audit row");
            }
            else if (File.Exists(onDisk))
            {
                // Cut off between the rename and the answer: whole under its name, never a part of it.
                Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(onDisk)));
            }
        }

        // Nothing else under a final name: no half-written file, no staging name.
        var names = files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(_harness.PathOf("in")), f => !names.Contains(Path.GetFileName(f)));
    }

    private async Task<Process> StartAsync(HttpClient client, Uri url, string sessions)
    {
        var app = JobRunnerProcess.StartApp(_harness, url, AdminEmail, AdminPassword, sessions);
        await Poll.UntilAsync(async () =>
        {
            Assert.False(app.HasExited, $"the app stopped; its log: {JobRunnerProcess.LogOf(app)}");
            try
            {
                return (await client.GetAsync("/health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the app to be ready", TimeSpan.FromMinutes(2));
        return app;
    }

    private static void Stop(Process app)
    {
        if (!app.HasExited)
        {
            app.Kill(entireProcessTree: true);
            app.WaitForExit();
        }

        app.Dispose();
    }

    private static async Task<string> TokenAsync(HttpClient client)
    {
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email = AdminEmail, password = AdminPassword });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        return (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    private async Task<bool> HasSessionsAsync(string applicationName)
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE application_name = {applicationName}").SingleAsync() > 0;
    }

    private async Task<AccessSubject> OwnerAsync(string uploadId)
    {
        await using var db = _harness.Database.CreateDbContext();
        var owner = await db.Uploads.Where(u => u.Id == uploadId).Select(u => u.OwnerId).SingleAsync();
        return AccessSubject.Create(owner, [Roles.SuperAdmin]);
    }

    private static HttpRequestMessage Tus(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    private static HttpRequestMessage Patch(string location, long offset, HttpContent content)
    {
        var request = Tus(HttpMethod.Patch, location);
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        request.Content = content;
        return request;
    }
}
