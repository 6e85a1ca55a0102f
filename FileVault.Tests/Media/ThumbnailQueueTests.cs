using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Media;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using FileVault.Tests.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FileVault.Tests.Media;

/// <summary>The app with its job runner over a root of photos: one folder a reader may read, one they are denied.</summary>
public sealed class ThumbnailQueueFixture : FileVaultAppFactory
{
    public int RootId { get; private set; }

    public string AdminToken { get; private set; } = default!;

    public string ReaderToken { get; private set; } = default!;

    public Guid ReaderId { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Write("Album/a.jpg", TestImages.CameraJpeg());
        Write("Album/b.png", TestImages.FourQuadrants(500, 300, SkiaSharp.SKEncodedImageFormat.Png));
        Write("Album/notes.txt", "not an image"u8.ToArray());
        Write("Album/Private/secret.jpg", TestImages.FourQuadrants(640, 480));
        Write("Album/Old/old.jpg", TestImages.FourQuadrants(800, 400));
        Write("Album/Later/one.jpg", TestImages.CameraJpeg());
        Write("Album/Later/two.png", TestImages.FourQuadrants(300, 200, SkiaSharp.SKEncodedImageFormat.Png));
        await WaitUntilReadyAsync();
        await using (var db = Database.CreateDbContext())
        {
            RootId = await db.StorageRoots.Select(r => r.Id).SingleAsync();
        }

        Assert.Equal(ScanStatus.Completed, (await Services.GetRequiredService<Scanner>().RunAsync(RootId, ScanKind.Full, "test", CancellationToken.None)).Status);
        var email = $"reader-{Guid.NewGuid():N}@queue.test";
        var reader = await CreateUserAsync(email, Roles.User);
        ReaderId = reader.Id;
        await using (var db = Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = "Album", UserId = reader.Id, Permissions = Permission.Read, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow });
            db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = "Album/Private", UserId = reader.Id, Permissions = Permission.Read, Effect = GrantEffect.Deny, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        AdminToken = await TokenAsync(AdminEmail, AdminPassword);
        ReaderToken = await TokenAsync(email, UserPassword);
    }

    public void Write(string relative, byte[] content)
    {
        var path = Path.Combine(StorageDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    public async Task<long> IdAsync(string relativePath)
    {
        await using var db = Database.CreateDbContext();
        return await db.Entries.Where(e => e.RootId == RootId && e.RelativePath == relativePath && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    public async Task<List<Job>> ThumbnailJobsAsync()
    {
        await using var db = Database.CreateDbContext();
        return await db.Jobs.AsNoTracking().Where(j => j.Type == ThumbnailJobHandler.JobType).OrderBy(j => j.Id).ToListAsync();
    }

    public static List<long> EntryIds(Job job) =>
        JsonDocument.Parse(job.Payload).RootElement.GetProperty("entryIds").EnumerateArray().Select(e => e.GetInt64()).ToList();

    /// <summary>Every thumbnail job queued so far has finished.</summary>
    public Task WaitForQueueAsync() => Poll.UntilAsync(
        async () => (await ThumbnailJobsAsync()) is { Count: > 0 } jobs && jobs.All(j => j.Status is JobStatus.Succeeded or JobStatus.Failed),
        "the thumbnail jobs to finish");

    /// <summary>Whether Redis holds the thumbnail of this file's current version at <paramref name="size"/>.</summary>
    public async Task<bool> CachedAsync(string relativePath, ThumbnailSize size)
    {
        var stat = new FileInfo(Path.Combine(StorageDirectory, relativePath));
        var ticks = stat.LastWriteTimeUtc.Ticks;
        var key = new ThumbnailKey(await IdAsync(relativePath), stat.Length, ticks - (ticks % 10), size, ThumbnailFormat.Webp);
        return await Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync(Services.GetRequiredService<RedisKeys>().For(key.Name));
    }

    public HttpClient Client(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> TokenAsync(string email, string password)
    {
        using var client = CreateClient();
        var token = await client.PostAsJsonAsync("/api/v1/auth/token", new { email, password });
        Assert.True(token.IsSuccessStatusCode, await token.Content.ReadAsStringAsync());
        return (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }
}

/// <summary>
/// The thumbnail queue: a scan's new images and a completed upload are queued as jobs of FileVault itself, whose runs
/// make the grid's sizes and the EXIF ahead of any visit; what they make is still served only through the access-checked
/// endpoint.
/// </summary>
public sealed class ThumbnailQueueTests(ThumbnailQueueFixture app) : IClassFixture<ThumbnailQueueFixture>
{
    [Fact]
    public async Task A_scan_queues_its_new_images_and_the_runner_makes_their_small_and_medium_thumbnails_and_exif()
    {
        await app.WaitForQueueAsync();

        var first = await app.IdAsync("Album/a.jpg");
        var job = Assert.Single(await app.ThumbnailJobsAsync(), j => ThumbnailQueueFixture.EntryIds(j).Contains(first));
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(Guid.Empty, job.OwnerId);
        Assert.Equal(JobQueues.Thumbnail, job.Queue);
        // One job per folder, its images only, in name order: no text file, no image of another folder.
        var ids = ThumbnailQueueFixture.EntryIds(job);
        Assert.Equal([await app.IdAsync("Album/a.jpg"), await app.IdAsync("Album/b.png")], ids);
        foreach (var photo in new[] { "Album/a.jpg", "Album/b.png", "Album/Private/secret.jpg" })
        {
            Assert.True(await app.CachedAsync(photo, ThumbnailSize.Small), photo + " small");
            Assert.True(await app.CachedAsync(photo, ThumbnailSize.Medium), photo + " medium");
            Assert.False(await app.CachedAsync(photo, ThumbnailSize.Large), photo + " large is made when first viewed");
        }

        await using var db = app.Database.CreateDbContext();
        var exif = await db.EntryMedia.AsNoTracking().SingleAsync(m => m.EntryId == ids[0]);
        Assert.Equal(("Canon", "Canon EOS R5", "RF24-105mm F4 L IS USM"), (exif.Make, exif.Model, exif.Lens));
        Assert.True(await db.EntryMedia.AnyAsync(m => m.EntryId == ids[1] && m.Width == 500 && m.Height == 300));
    }

    [Fact]
    public async Task A_thumbnail_the_queue_made_is_still_404_to_a_user_denied_its_folder()
    {
        await app.WaitForQueueAsync();
        Assert.True(await app.CachedAsync("Album/Private/secret.jpg", ThumbnailSize.Small));
        var store = app.Services.GetRequiredService<ThumbnailStore>();
        var made = store.Generated;
        var secret = await app.IdAsync("Album/Private/secret.jpg");
        using var reader = app.Client(app.ReaderToken);
        using var admin = app.Client(app.AdminToken);

        var denied = await reader.GetAsync($"/api/v1/entries/{secret}/thumbnail?size=small");
        var deniedExif = await reader.GetAsync($"/api/v1/entries/{secret}/exif");
        var readable = await reader.GetAsync($"/api/v1/entries/{await app.IdAsync("Album/a.jpg")}/thumbnail?size=small");
        var adminCopy = await admin.GetAsync($"/api/v1/entries/{secret}/thumbnail?size=small");

        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        Assert.Equal("entry.not_found", (await denied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, deniedExif.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminCopy.StatusCode);
        // Served from the cache the queue filled: nothing decoded for either.
        Assert.Equal(made, store.Generated);
    }

    [Fact]
    public async Task A_completed_upload_of_an_image_is_queued_and_its_thumbnails_made_without_anyone_asking()
    {
        await app.WaitForQueueAsync();
        var photo = TestImages.CameraJpeg();
        using var client = app.Client(app.AdminToken);
        var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/uploads");
        create.Headers.Add("Tus-Resumable", "1.0.0");
        create.Headers.Add("Upload-Length", photo.Length.ToString(CultureInfo.InvariantCulture));
        create.Headers.TryAddWithoutValidation("Upload-Metadata",
            UploadFixture.Metadata(("destination", (await app.IdAsync("Album")).ToString(CultureInfo.InvariantCulture)), ("filename", "올린 사진.jpg")));
        var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var patch = new HttpRequestMessage(HttpMethod.Patch, created.Headers.Location);
        patch.Headers.Add("Tus-Resumable", "1.0.0");
        patch.Headers.Add("Upload-Offset", "0");
        patch.Content = new ByteArrayContent(photo);
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(patch)).StatusCode);

        var uploaded = await app.IdAsync("Album/올린 사진.jpg");
        await Poll.UntilAsync(async () => (await app.ThumbnailJobsAsync()).Any(j => ThumbnailQueueFixture.EntryIds(j).SequenceEqual([uploaded]) && j.Status == JobStatus.Succeeded),
            "the upload's thumbnail job");
        Assert.True(await app.CachedAsync("Album/올린 사진.jpg", ThumbnailSize.Small));
        Assert.True(await app.CachedAsync("Album/올린 사진.jpg", ThumbnailSize.Medium));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal("Canon EOS R5", await db.EntryMedia.Where(m => m.EntryId == uploaded).Select(m => m.Model).SingleAsync());
    }

    [Fact]
    public async Task A_deleted_photo_shows_its_kept_thumbnail_in_the_trash_of_who_deleted_it_and_404_to_a_reader_of_its_folder()
    {
        await app.WaitForQueueAsync();
        var id = await app.IdAsync("Album/Old/old.jpg");
        using var admin = app.Client(app.AdminToken);
        using var reader = app.Client(app.ReaderToken);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/api/v1/operations/delete", new { entryIds = new[] { id } })).StatusCode);
        long trashId = 0;
        await Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            trashId = await db.TrashItems.Where(t => t.EntryId == id && t.State == FileVault.Core.Trash.TrashItemState.InTrash).Select(t => t.Id).FirstOrDefaultAsync();
            return trashId != 0;
        }, "the photo to reach the trash");

        var small = await admin.GetAsync($"/api/v1/trash/{trashId}/thumbnail?size=small");
        var large = await admin.GetAsync($"/api/v1/trash/{trashId}/thumbnail?size=large");
        var notTheirs = await reader.GetAsync($"/api/v1/trash/{trashId}/thumbnail?size=small");
        var byEntry = await admin.GetAsync($"/api/v1/entries/{id}/thumbnail?size=small");

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.True(small.Headers.CacheControl is { Private: true, MaxAge: not null }, small.Headers.CacheControl?.ToString());
        using (var bitmap = SkiaSharp.SKBitmap.Decode(await small.Content.ReadAsByteArrayAsync()))
        {
            Assert.Equal((150, 75), (bitmap.Width, bitmap.Height));
        }

        // Large was never made while it was live, and nothing is decoded from the trash.
        Assert.Equal(HttpStatusCode.NotFound, large.StatusCode);
        Assert.Equal("media.not_found", (await large.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        // The reader may read the folder it came from, but it is not their trash item.
        Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
        Assert.Equal("trash.not_found", (await notTheirs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, byEntry.StatusCode);
    }

    [Fact]
    public async Task A_folder_open_in_the_grid_queues_its_unread_photos_on_the_open_folders_queue_once_and_never_for_a_user_denied_it()
    {
        await app.WaitForQueueAsync();
        var later = await app.IdAsync("Album/Later");
        var ids = new[] { await app.IdAsync("Album/Later/one.jpg"), await app.IdAsync("Album/Later/two.png") };
        var denied = await app.IdAsync("Album/Private");
        await using (var db = app.Database.CreateDbContext())
        {
            // As if the scan's jobs had not reached them yet.
            await db.EntryMedia.Where(m => ids.Contains(m.EntryId)).ExecuteDeleteAsync();
            // The denied folder's photo too: only the access check keeps it from being queued.
            var secret = await app.IdAsync("Album/Private/secret.jpg");
            await db.EntryMedia.Where(m => m.EntryId == secret).ExecuteDeleteAsync();
        }

        var reader = AccessSubject.Create(app.ReaderId, [Roles.User]);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var thumbnails = scope.ServiceProvider.GetRequiredService<ThumbnailService>();
            await thumbnails.PrioritizeFolderAsync(reader, denied, CancellationToken.None);
            await thumbnails.PrioritizeFolderAsync(reader, later, CancellationToken.None);
            await thumbnails.PrioritizeFolderAsync(reader, later, CancellationToken.None);
        }

        var visible = (await app.ThumbnailJobsAsync()).Where(j => j.Queue == ThumbnailQueue.VisibleQueue).ToList();
        var job = Assert.Single(visible);
        Assert.Equal(ids, ThumbnailQueueFixture.EntryIds(job));
        await Poll.UntilAsync(async () => (await app.ThumbnailJobsAsync()).Single(j => j.Id == job.Id).Status == JobStatus.Succeeded, "the open folder's job");
        await using (var db = app.Database.CreateDbContext())
        {
            Assert.Equal(2, await db.EntryMedia.CountAsync(m => ids.Contains(m.EntryId)));
        }
    }
}
