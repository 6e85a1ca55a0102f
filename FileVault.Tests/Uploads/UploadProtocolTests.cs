using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FileVault.Core.Catalog;
using FileVault.Core.Cleanup;
using FileVault.Core.Uploads;
using FileVault.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// /api/v1/uploads against the tus 1.0 protocol and RELIABILITY R-UP-1..9 over a real disk, PostgreSQL and Redis:
/// every status tus defines, checksums, offsets that never move on a refused request, one PATCH at a time, recovery
/// after a kill between write and record, expiry, who may see an upload, and the names the path guard refuses.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UploadProtocolTests(UploadFixture app) : IClassFixture<UploadFixture>
{
    private const string OffsetType = "application/offset+octet-stream";

    [Fact]
    public async Task Options_announce_the_version_extensions_max_size_checksum_algorithms_and_chunk_size()
    {
        using var client = app.Client();

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api/v1/uploads"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("1.0.0", Header(response, "Tus-Version"));
        Assert.Equal("creation,creation-with-upload,termination,checksum,expiration", Header(response, "Tus-Extension"));
        Assert.Equal((50L << 30).ToString(CultureInfo.InvariantCulture), Header(response, "Tus-Max-Size"));
        Assert.Equal("sha1,sha256", Header(response, "Tus-Checksum-Algorithm"));
        Assert.Equal((32 << 20).ToString(CultureInfo.InvariantCulture), Header(response, "FileVault-Chunk-Size"));
    }

    [Fact]
    public void A_chunk_size_past_the_largest_request_body_is_refused_at_start()
    {
        var options = new UploadOptions { MaxChunkBytes = 16L << 20, ChunkBytes = 32L << 20 };

        var errors = new List<ValidationResult>();
        var valid = Validator.TryValidateObject(
            options, new ValidationContext(options), errors, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(UploadOptions.ChunkBytes)));
        options.ChunkBytes = 16L << 20;
        Assert.True(Validator.TryValidateObject(
            options, new ValidationContext(options), errors, validateAllProperties: true));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0.2.2")]
    public async Task A_request_without_the_supported_Tus_Resumable_is_412(string? version)
    {
        using var client = app.Admin();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Upload-Length", "3");
        request.Headers.Add("Upload-Metadata", UploadFixture.Metadata(("filename", "v.txt"), ("destination", (await app.IdAsync("Public")).ToString(CultureInfo.InvariantCulture))));
        if (version is not null)
        {
            request.Headers.Add("Tus-Resumable", version);
        }

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("1.0.0", Header(response, "Tus-Version"));
        Assert.Equal("upload.tus_version", await CodeAsync(response));
    }

    [Fact]
    public async Task Two_chunks_make_the_file_with_its_hash_uploader_and_catalog_row_and_the_staging_file_goes()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var url = await CreateAsync(client, "Public", "two-chunks.bin", bytes.Length);

        var head = await HeadAsync(client, url);
        var first = await PatchAsync(client, url, 0, bytes[..100_000]);
        var last = await PatchAsync(client, url, 100_000, bytes[100_000..]);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("0", Header(head, "Upload-Offset"));
        Assert.Equal("300000", Header(head, "Upload-Length"));
        Assert.True(head.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal("100000", Header(first, "Upload-Offset"));
        Assert.NotNull(Header(first, "Upload-Expires"));
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal("300000", Header(last, "Upload-Offset"));
        var entryId = long.Parse(Header(last, "FileVault-Entry-Id")!, CultureInfo.InvariantCulture);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/two-chunks.bin")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(app.PathOf("Public/two-chunks.bin")));
        await using var db = app.Database.CreateDbContext();
        var entry = await db.Entries.SingleAsync(e => e.Id == entryId);
        Assert.Equal("Public/two-chunks.bin", entry.RelativePath);
        Assert.Equal(EntryKind.File, entry.Kind);
        Assert.Equal(bytes.Length, entry.Size);
        Assert.Equal(SHA256.HashData(bytes), entry.ContentHash);
        Assert.NotNull(entry.UploadedById);
        Assert.NotNull(entry.UploadedAt);
        Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "entry.upload" && a.Target.EndsWith("/Public/two-chunks.bin")));
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        Assert.Equal("300000", Header(await HeadAsync(client, url), "Upload-Offset"));
    }

    [Fact]
    public async Task The_staging_folder_and_file_are_private_to_the_service()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "modes.bin", 10);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(app.StagingPathOf(Id(url)))!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(app.StagingPathOf(Id(url))));
    }

    [Fact]
    public async Task A_scan_during_an_upload_never_catalogues_the_staging_folder()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "scanned.bin", 100);
        await PatchAsync(client, url, 0, new byte[50]);

        var run = await app.Services.GetRequiredService<FileVault.Core.Scanning.Scanner>().RunAsync(
            app.RootId, FileVault.Core.Scanning.ScanKind.Full, "test", CancellationToken.None);

        Assert.Equal(FileVault.Core.Scanning.ScanStatus.Completed, run.Status);
        Assert.True(File.Exists(app.StagingPathOf(Id(url))));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.RelativePath.StartsWith(".filevault-staging") || e.Name == Id(url)));
    }

    [Fact]
    public async Task A_patch_at_the_wrong_offset_is_409_and_changes_nothing()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "offset.bin", 100);
        await PatchAsync(client, url, 0, new byte[40]);

        var ahead = await PatchAsync(client, url, 60, new byte[40]);
        var behind = await PatchAsync(client, url, 0, new byte[40]);

        Assert.Equal(HttpStatusCode.Conflict, ahead.StatusCode);
        Assert.Equal("upload.offset_mismatch", await CodeAsync(ahead));
        Assert.Equal(HttpStatusCode.Conflict, behind.StatusCode);
        Assert.Equal(40, new FileInfo(app.StagingPathOf(Id(url))).Length);
        Assert.Equal("40", Header(await HeadAsync(client, url), "Upload-Offset"));
    }

    [Fact]
    public async Task A_body_past_Upload_Length_is_413_and_nothing_of_it_is_written()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "past.bin", 100);
        await PatchAsync(client, url, 0, new byte[60]);

        var past = await PatchAsync(client, url, 60, new byte[41]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, past.StatusCode);
        Assert.Equal(60, new FileInfo(app.StagingPathOf(Id(url))).Length);
        Assert.Equal("60", Header(await HeadAsync(client, url), "Upload-Offset"));
    }

    [Fact]
    public async Task A_declared_length_over_the_maximum_is_413_at_creation()
    {
        using var client = app.Admin();

        var response = await CreateRawAsync(client, "Public", "huge.bin", (50L << 30) + 1);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("upload.too_large", await CodeAsync(response));
    }

    [Fact]
    public async Task A_patch_of_another_content_type_is_415()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "type.bin", 10);

        var response = await PatchAsync(client, url, 0, new byte[10], contentType: "application/octet-stream");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(0, new FileInfo(app.StagingPathOf(Id(url))).Length);
    }

    [Fact]
    public async Task A_chunk_that_fails_its_checksum_is_460_and_cut_back_to_the_chunk_start()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(200);
        var url = await CreateAsync(client, "Public", "checksum.bin", bytes.Length);
#pragma warning disable CA5350, CA5351 // tus names sha1 as a checksum algorithm, and md5 is the one a server must refuse here
        var good = await PatchAsync(client, url, 0, bytes[..100], "sha1 " + Convert.ToBase64String(SHA1.HashData(bytes[..100])));

        var bad = await PatchAsync(client, url, 100, bytes[100..], "sha256 " + Convert.ToBase64String(SHA256.HashData(bytes[..100])));
        var unsupported = await PatchAsync(client, url, 100, bytes[100..], "md5 " + Convert.ToBase64String(MD5.HashData(bytes[100..])));
#pragma warning restore CA5350, CA5351
        var retried = await PatchAsync(client, url, 100, bytes[100..], "sha256 " + Convert.ToBase64String(SHA256.HashData(bytes[100..])));

        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);
        Assert.Equal(460, (int)bad.StatusCode);
        Assert.Equal("upload.checksum_mismatch", await CodeAsync(bad));
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/checksum.bin")));
    }

    [Fact]
    public async Task Delete_terminates_the_upload_its_staging_file_goes_and_it_answers_404_after()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "terminate.bin", 100);
        await PatchAsync(client, url, 0, new byte[50]);

        var deleted = await client.SendAsync(Tus(HttpMethod.Delete, url));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(client, url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(client, url, 50, new byte[50])).StatusCode);
        Assert.False(File.Exists(app.PathOf("Public/terminate.bin")));
    }

    [Fact]
    public async Task Another_users_upload_does_not_exist_for_them_but_an_admin_sees_it()
    {
        using var owner = app.Client(await app.UserTokenAsync("write"));
        using var other = app.Client(await app.UserTokenAsync("write"));
        using var admin = app.Admin();
        var url = await CreateAsync(owner, "Sales", "mine.bin", 10);

        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(other, url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(other, url, 0, new byte[10])).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.SendAsync(Tus(HttpMethod.Delete, url))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(other, "/api/v1/uploads/" + new string('0', 32))).StatusCode);
        Assert.Equal(0, new FileInfo(app.StagingPathOf(Id(url))).Length);
        Assert.Equal(HttpStatusCode.OK, (await HeadAsync(admin, url)).StatusCode);
    }

    [Theory]
    [InlineData("none", "Sales", HttpStatusCode.NotFound)]
    [InlineData("read", "Sales", HttpStatusCode.Forbidden)]
    [InlineData("write", "Sales", HttpStatusCode.Created)]
    [InlineData("deny-under-allow", "Sales", HttpStatusCode.Created)]
    [InlineData("deny-under-allow", "Sales/Secret", HttpStatusCode.NotFound)]
    [InlineData("admin", "Sales/Secret", HttpStatusCode.Created)]
    public async Task Creating_an_upload_needs_write_on_the_destination(string matrixCase, string folder, HttpStatusCode expected)
    {
        using var client = app.Client(await app.UserTokenAsync(matrixCase));

        var response = await CreateRawAsync(client, folder, $"matrix-{Guid.NewGuid():N}.bin", 1);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_subfolder_denied_under_a_writable_folder_refuses_a_relative_path_into_it()
    {
        using var client = app.Client(await app.UserTokenAsync("deny-under-allow"));

        var response = await CreateRawAsync(client, "Sales", null, 1, ("relativePath", "Secret/leak.txt"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_relative_path_typed_in_NFC_into_a_denied_folder_spelled_in_NFD_on_disk_is_refused()
    {
        using var client = app.Client(await app.UserTokenAsync("deny-under-allow"));
        var nfc = UploadFixture.MacSecret.Normalize(NormalizationForm.FormC);

        var response = await CreateRawAsync(client, "Sales", null, 1, ("relativePath", nfc + "/leak.txt"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(Directory.GetFileSystemEntries(app.PathOf("Sales/" + UploadFixture.MacSecret)));
    }

    [Theory]
    [MemberData(nameof(TraversalAtlasTests.Names), MemberType = typeof(TraversalAtlasTests))]
    public async Task A_hostile_file_name_is_refused_at_creation(string name)
    {
        using var client = app.Admin();

        var response = await CreateRawAsync(client, "Public", name, 1);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("path.", await CodeAsync(response), StringComparison.Ordinal);
        AssertNothingPwnedOutside();
    }

    // "pwned/sub" is a legal relative path (a folder and a file), and an empty one means "no relative path".
    public static TheoryData<string> HostileRelativePaths() =>
        new(((IEnumerable<object[]>)TraversalAtlasTests.Names()).Select(row => (string)row[0]).Where(p => p is not ("pwned/sub" or "")));

    [Theory]
    [MemberData(nameof(HostileRelativePaths))]
    public async Task A_hostile_relative_path_is_refused_at_creation(string relativePath)
    {
        using var client = app.Admin();

        var response = await CreateRawAsync(client, "Public", "fine.txt", 1, ("relativePath", relativePath));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("path.", await CodeAsync(response), StringComparison.Ordinal);
        AssertNothingPwnedOutside();
    }

    [Fact]
    public async Task An_NFD_file_name_is_stored_in_NFC()
    {
        using var client = app.Admin();
        var nfd = "한글 보고서.txt".Normalize(NormalizationForm.FormD);
        var nfc = nfd.Normalize(NormalizationForm.FormC);
        var url = await CreateAsync(client, "Public", nfd, 3);

        var last = await PatchAsync(client, url, 0, "abc"u8.ToArray());

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Contains(nfc, Directory.GetFileSystemEntries(app.PathOf("Public")).Select(Path.GetFileName));
        Assert.DoesNotContain(nfd, Directory.GetFileSystemEntries(app.PathOf("Public")).Select(Path.GetFileName));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(nfc, await db.Entries.Where(e => e.Id == long.Parse(Header(last, "FileVault-Entry-Id")!, CultureInfo.InvariantCulture)).Select(e => e.Name).SingleAsync());
    }

    [Fact]
    public async Task A_relative_path_creates_its_folders_in_the_catalog_as_new_folder_does()
    {
        using var client = app.Admin();
        var url = await CreateRawAsync(client, "Public", null, 2, ("relativePath", "Reports/2026/q1.txt"));
        Assert.Equal(HttpStatusCode.Created, url.StatusCode);

        var last = await PatchAsync(client, url.Headers.Location!.ToString(), 0, "q1"u8.ToArray());

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal("q1", await File.ReadAllTextAsync(app.PathOf("Public/Reports/2026/q1.txt")));
        await using var db = app.Database.CreateDbContext();
        var folder2026 = await db.Entries.SingleAsync(e => e.RootId == app.RootId && e.RelativePath == "Public/Reports/2026");
        Assert.Equal(EntryKind.Directory, folder2026.Kind);
        Assert.Equal(folder2026.Id, await db.Entries.Where(e => e.RelativePath == "Public/Reports/2026/q1.txt").Select(e => e.ParentId).SingleAsync());
    }

    [Fact]
    public async Task A_name_already_taken_is_409_at_creation()
    {
        using var client = app.Admin();

        var response = await CreateRawAsync(client, "Sales", "Taken.TXT", 1);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("name.conflict", await CodeAsync(response));
    }

    [Fact]
    public async Task A_whole_file_hash_that_differs_creates_nothing_and_discards_the_upload()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var created = await CreateRawAsync(client, "Public", "lying.bin", bytes.Length, ("sha256", Convert.ToHexStringLower(SHA256.HashData(new byte[1000]))));
        var url = created.Headers.Location!.ToString();

        var last = await PatchAsync(client, url, 0, bytes);

        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        Assert.Equal("upload.hash_mismatch", await CodeAsync(last));
        Assert.False(File.Exists(app.PathOf("Public/lying.bin")));
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.RelativePath == "Public/lying.bin"));
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(client, url)).StatusCode);
    }

    [Fact]
    public async Task A_whole_file_sha256_sent_with_the_last_patch_is_verified_and_kept_as_the_entrys_hash()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(client, "Public", "hashed-last.bin", bytes.Length);

        await PatchAsync(client, url, 0, bytes[..600]);
        var last = await PatchAsync(client, url, 600, bytes[600..], fileSha256: Convert.ToHexStringLower(SHA256.HashData(bytes)));

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/hashed-last.bin")));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(SHA256.HashData(bytes), await db.Entries.Where(e => e.RelativePath == "Public/hashed-last.bin").Select(e => e.ContentHash).SingleAsync());
    }

    [Fact]
    public async Task A_whole_file_sha256_on_the_last_patch_that_differs_creates_nothing_and_discards_the_upload()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(client, "Public", "lying-last.bin", bytes.Length);

        await PatchAsync(client, url, 0, bytes[..600]);
        var last = await PatchAsync(client, url, 600, bytes[600..], fileSha256: Convert.ToHexStringLower(SHA256.HashData(new byte[1000])));

        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        Assert.Equal("upload.hash_mismatch", await CodeAsync(last));
        Assert.False(File.Exists(app.PathOf("Public/lying-last.bin")));
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.RelativePath == "Public/lying-last.bin"));
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(client, url)).StatusCode);
    }

    [Fact]
    public async Task After_a_kill_between_write_and_record_the_unrecorded_bytes_are_cut_and_the_upload_resumes()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(client, "Public", "killed.bin", bytes.Length);
        await PatchAsync(client, url, 0, bytes[..400]);
        await app.Services.GetRequiredService<PendingChunks>().SettledAsync(Id(url), CancellationToken.None);
        // The process wrote the next 300 bytes (wrongly, say half-written) and died before recording the offset.
        await File.AppendAllBytesAsync(app.StagingPathOf(Id(url)), new byte[300]);

        var head = await HeadAsync(client, url);
        var rest = await PatchAsync(client, url, 400, bytes[400..]);

        Assert.Equal("400", Header(head, "Upload-Offset"));
        Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/killed.bin")));
    }

    [Fact]
    public async Task A_chunk_answered_before_its_sync_is_recorded_and_frees_its_lease_once_settled()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(client, "Public", "answered-first.bin", bytes.Length);

        var first = await PatchAsync(client, url, 0, bytes[..400]);
        await app.Services.GetRequiredService<PendingChunks>().SettledAsync(Id(url), CancellationToken.None);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal("400", Header(first, "Upload-Offset"));
        await using (var db = app.Database.CreateDbContext())
        {
            Assert.Equal(400, await db.Uploads.Where(u => u.Id == Id(url)).Select(u => u.Offset).SingleAsync());
            // No session of this database holds an upload's lease any more.
            Assert.Equal(0, await db.Database.SqlQuery<int>($"""
                SELECT count(*)::int AS "Value" FROM pg_locks
                WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """).SingleAsync());
        }

        Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), Header(await PatchAsync(client, url, 400, bytes[400..]), "Upload-Offset"));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/answered-first.bin")));
    }

    [Fact]
    public async Task Chunks_sent_back_to_back_each_find_the_offset_the_last_answer_gave()
    {
        // No pause between an answer and the next chunk: each PATCH (and HEAD) of this process waits for the chunk
        // before it to be synced and recorded, so none is refused as locked or at the wrong offset.
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(64 * 1024);
        var url = await CreateAsync(client, "Public", "back-to-back.bin", bytes.Length);

        for (var offset = 0; offset < bytes.Length; offset += 4096)
        {
            var response = await PatchAsync(client, url, offset, bytes[offset..(offset + 4096)]);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal((offset + 4096).ToString(CultureInfo.InvariantCulture), Header(await HeadAsync(client, url), "Upload-Offset"));
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/back-to-back.bin")));
    }

    [Fact]
    public async Task A_recorded_offset_past_the_file_is_never_reported_and_the_upload_resumes_from_the_file()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var url = await CreateAsync(client, "Public", "lost-tail.bin", bytes.Length);
        await PatchAsync(client, url, 0, bytes[..400]);
        await using (var db = app.Database.CreateDbContext())
        {
            await db.Uploads.Where(u => u.Id == Id(url)).ExecuteUpdateAsync(s => s.SetProperty(u => u.Offset, 700));
        }

        var head = await HeadAsync(client, url);
        var rest = await PatchAsync(client, url, 400, bytes[400..]);

        Assert.Equal("400", Header(head, "Upload-Offset"));
        Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/lost-tail.bin")));
    }

    [Fact]
    public async Task An_expired_upload_is_410_and_the_schedule_deletes_it_and_its_bytes()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "expired.bin", 100);
        await PatchAsync(client, url, 0, new byte[10]);
        var live = await CreateAsync(client, "Public", "live.bin", 100);
        await using (var db = app.Database.CreateDbContext())
        {
            await db.Uploads.Where(u => u.Id == Id(url)).ExecuteUpdateAsync(s => s.SetProperty(u => u.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        var gone = await HeadAsync(client, url);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var run = await scope.ServiceProvider.GetRequiredService<CleanupRuns>().RunAsync(scope.ServiceProvider.GetRequiredService<UploadExpirySchedule>(), default);
            // What the dashboard's cleanup table reports for this sweep.
            Assert.Equal("uploads", run?.Sweep);
            Assert.True(run!.Removed >= 1 && run.Error is null, $"removed {run.Removed}, error {run.Error}");
        }

        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(client, url)).StatusCode);
        Assert.True(File.Exists(app.StagingPathOf(Id(live))));
        Assert.Equal(HttpStatusCode.OK, (await HeadAsync(client, live)).StatusCode);
    }

    [Fact]
    public async Task A_second_patch_while_one_is_writing_is_423_and_bytes_never_interleave()
    {
        using var client = app.Admin();
        var first = RandomNumberGenerator.GetBytes(400_000);
        var url = await CreateAsync(client, "Public", "concurrent.bin", first.Length);
        var gate = new TaskCompletionSource();
        var staging = app.StagingPathOf(Id(url));
        var slow = PatchAsync(client, url, 0, new GatedContent(first, 200_000, gate.Task));
        while (new FileInfo(staging).Length == 0 && !slow.IsCompleted)
        {
            await Task.Yield();
        }

        var second = await PatchAsync(client, url, 0, new ByteArrayContent(new byte[400_000]));
        gate.SetResult();
        var firstResponse = await slow;

        Assert.True(second.StatusCode is HttpStatusCode.Locked or HttpStatusCode.Conflict, $"second PATCH: {(int)second.StatusCode}");
        Assert.Equal(HttpStatusCode.NoContent, firstResponse.StatusCode);
        Assert.Equal(first, await File.ReadAllBytesAsync(app.PathOf("Public/concurrent.bin")));
    }

    [Fact]
    public async Task A_cookie_authenticated_patch_passes_the_csrf_rule_by_its_Tus_Resumable_header_but_not_from_another_origin()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = app.BaseAddress };
        await FileVault.Tests.Infrastructure.FileVaultAppFactory.PostSignInAsync(client, UploadFixture.AdminEmail, UploadFixture.AdminPassword);
        var metadata = UploadFixture.Metadata(("filename", $"cookie-{Guid.NewGuid():N}.txt"), ("destination", (await app.IdAsync("Public")).ToString(CultureInfo.InvariantCulture)));
        var create = Tus(HttpMethod.Post, "/api/v1/uploads");
        create.Headers.Add("Upload-Length", "1");
        create.Headers.Add("Upload-Metadata", metadata);
        create.Headers.Add("Origin", app.BaseAddress.GetLeftPart(UriPartial.Authority));
        var foreign = Tus(HttpMethod.Post, "/api/v1/uploads");
        foreign.Headers.Add("Upload-Length", "1");
        foreign.Headers.Add("Upload-Metadata", metadata);
        foreign.Headers.Add("Origin", "https://evil.example");

        var sameSite = await client.SendAsync(create);
        var crossSite = await client.SendAsync(foreign);

        Assert.Equal(HttpStatusCode.Created, sameSite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal("auth.csrf", await CodeAsync(crossSite));
    }

    [Fact]
    public async Task A_user_past_the_unfinished_upload_limit_gets_429()
    {
        using var client = app.Client(await app.UserTokenAsync("write"));
        for (var i = 0; i < 20; i++)
        {
            await CreateAsync(client, "Sales", $"limit-{i}-{Guid.NewGuid():N}.bin", 1);
        }

        var response = await CreateRawAsync(client, "Sales", $"limit-over-{Guid.NewGuid():N}.bin", 1);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("upload.too_many", await CodeAsync(response));
    }

    [Fact]
    public async Task A_read_only_personal_access_token_cannot_create_an_upload()
    {
        await using var db = app.Database.CreateDbContext();
        var admin = await db.Users.SingleAsync(u => u.Email == UploadFixture.AdminEmail);
        await using var scope = app.Services.CreateAsyncScope();
        var token = await scope.ServiceProvider.GetRequiredService<FileVault.Core.Tokens.PersonalAccessTokens>().CreateAsync(
            FileVault.Core.Access.AccessSubject.Create(admin.Id, [FileVault.Core.Access.Roles.SuperAdmin]), "read only", FileVault.Core.Tokens.TokenScope.Read,
            DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None);
        using var client = app.Client(token.Value.Secret);

        var response = await CreateRawAsync(client, "Public", "read-only.bin", 1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("token.scope_insufficient", await CodeAsync(response));
    }

    [Fact]
    public async Task A_name_taken_on_disk_before_the_last_chunk_is_409_leaves_that_file_alone_and_discards_the_upload()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "race.txt", 3);
        // On disk only, not in the catalog: the rename (never replacing) is what finds it, after the job row.
        await File.WriteAllTextAsync(app.PathOf("Public/race.txt"), "someone else's");

        var last = await PatchAsync(client, url, 0, "new"u8.ToArray());

        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
        Assert.Equal("name.conflict", await CodeAsync(last));
        Assert.Equal("someone else's", await File.ReadAllTextAsync(app.PathOf("Public/race.txt")));
        Assert.False(File.Exists(app.StagingPathOf(Id(url))));
        // The job recorded before the rename ends failed.
        Assert.Equal([new UploadJob(FileVault.Core.Jobs.JobStatus.Failed, null)], await UploadJobsAsync(Id(url)));
        Assert.Equal(HttpStatusCode.NotFound, (await HeadAsync(client, url)).StatusCode);
    }

    [Fact]
    public async Task A_destination_gone_before_the_last_chunk_creates_nothing_and_is_not_recreated()
    {
        using var client = app.Admin();
        var folder = Path.Combine("Public", "Vanishing-" + Guid.NewGuid().ToString("N")[..8]);
        var created = await client.PostAsJsonAsync("/api/v1/folders", new { parentId = await app.IdAsync("Public"), name = Path.GetFileName(folder) });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var url = await CreateAsync(client, folder, "late.txt", 4);
        Directory.Move(app.PathOf(folder), app.PathOf(folder + "-moved"));
        await using (var db = app.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.RelativePath == folder).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EntryState.Missing));
        }

        var last = await PatchAsync(client, url, 0, "late"u8.ToArray());

        Assert.Equal(HttpStatusCode.NotFound, last.StatusCode);
        Assert.False(Directory.Exists(app.PathOf(folder)));
        Assert.Empty(Directory.GetFileSystemEntries(app.PathOf(folder + "-moved")));
    }

    [Fact]
    public async Task A_completion_held_up_by_a_lock_keeps_the_upload_and_the_next_head_places_the_file()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "held.txt", 4);
        var locks = app.Services.GetRequiredService<FileVault.Core.Locks.ResourceLocks>();
        var held = await locks.AcquireAsync(new FileVault.Core.Locks.LockRequest(app.RootId, ["Public/held.txt"], "test", "a test"), TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.True(held.IsSuccess);

        var last = await PatchAsync(client, url, 0, "held"u8.ToArray());
        var whileHeld = File.Exists(app.PathOf("Public/held.txt"));
        await held.Value.DisposeAsync();
        var head = await HeadAsync(client, url);

        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
        Assert.Equal("lock.conflict", await CodeAsync(last));
        Assert.False(whileHeld);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("4", Header(head, "Upload-Offset"));
        Assert.Equal("held", await File.ReadAllTextAsync(app.PathOf("Public/held.txt")));
        await using var db = app.Database.CreateDbContext();
        Assert.True(await db.Entries.AnyAsync(e => e.RelativePath == "Public/held.txt" && e.State == EntryState.Active));
        // The refusal by the lock changed nothing and recorded no job; the completion that placed the file has one.
        Assert.Equal([FileVault.Core.Jobs.JobStatus.Succeeded], (await UploadJobsAsync(Id(url))).Select(j => j.Status));
    }

    [Fact]
    public async Task A_placed_upload_has_one_job_ended_succeeded_with_the_new_entry()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "with-job.txt", 4);

        var last = await PatchAsync(client, url, 0, "done"u8.ToArray());

        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        var entryId = long.Parse(Header(last, "FileVault-Entry-Id")!, CultureInfo.InvariantCulture);
        Assert.Equal([new UploadJob(FileVault.Core.Jobs.JobStatus.Succeeded, entryId)], await UploadJobsAsync(Id(url)));
    }

    [Fact]
    public async Task A_repeated_last_patch_after_completion_answers_the_same_and_changes_nothing()
    {
        using var client = app.Admin();
        var url = await CreateAsync(client, "Public", "twice.txt", 2);
        var first = await PatchAsync(client, url, 0, "ok"u8.ToArray());

        var again = await PatchAsync(client, url, 2, []);
        var more = await PatchAsync(client, url, 2, "x"u8.ToArray());

        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal("2", Header(again, "Upload-Offset"));
        Assert.Equal(HttpStatusCode.Conflict, more.StatusCode);
        Assert.Equal("ok", await File.ReadAllTextAsync(app.PathOf("Public/twice.txt")));
        Assert.NotNull(Header(first, "FileVault-Entry-Id"));
    }

    [Fact]
    public async Task OpenApi_names_and_summarises_the_tus_operations()
    {
        using var client = app.Admin();

        var operations = await AdminApiTests.OperationsAsync(client);

        foreach (var (path, method, name) in new[]
        {
            ("/api/v1/uploads", "options", "UploadCapabilities"), ("/api/v1/uploads", "post", "CreateUpload"),
            ("/api/v1/uploads/{id}", "head", "GetUploadOffset"), ("/api/v1/uploads/{id}", "patch", "AppendUpload"),
            ("/api/v1/uploads/{id}", "delete", "TerminateUpload"),
        })
        {
            Assert.True(operations.TryGetValue((path, method), out var operation), $"{method} {path} is not in the document");
            Assert.Equal(name, operation.Id);
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{name} has no summary");
        }
    }

    private void AssertNothingPwnedOutside()
    {
        var parent = Path.GetDirectoryName(app.StorageDirectory.TrimEnd('/'))!;
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent, "*pwned*", SearchOption.TopDirectoryOnly));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(app.StorageDirectory, "*pwned*", SearchOption.AllDirectories),
            p => !p.Contains("/.filevault-staging/", StringComparison.Ordinal));
    }

    private async Task<string> CreateAsync(HttpClient client, string folder, string name, long length)
    {
        var response = await CreateRawAsync(client, folder, name, length);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull(Header(response, "Upload-Expires"));
        return response.Headers.Location!.ToString();
    }

    private async Task<HttpResponseMessage> CreateRawAsync(HttpClient client, string folder, string? name, long length, params (string Key, string Value)[] more)
    {
        var request = Tus(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Upload-Length", length.ToString(CultureInfo.InvariantCulture));
        var pairs = new List<(string, string)> { ("destination", (await app.IdAsync(folder)).ToString(CultureInfo.InvariantCulture)) };
        if (name is not null)
        {
            pairs.Add(("filename", name));
        }

        pairs.AddRange(more);
        request.Headers.TryAddWithoutValidation("Upload-Metadata", UploadFixture.Metadata([.. pairs]));
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> HeadAsync(HttpClient client, string url) => client.SendAsync(Tus(HttpMethod.Head, url));

    private static Task<HttpResponseMessage> PatchAsync(
        HttpClient client, string url, long offset, byte[] body, string? checksum = null, string contentType = OffsetType, string? fileSha256 = null) =>
        PatchAsync(client, url, offset, new ByteArrayContent(body), checksum, contentType, fileSha256);

    private static Task<HttpResponseMessage> PatchAsync(
        HttpClient client, string url, long offset, HttpContent body, string? checksum = null, string contentType = OffsetType, string? fileSha256 = null)
    {
        var request = Tus(HttpMethod.Patch, url);
        if (fileSha256 is not null)
        {
            request.Headers.Add("FileVault-Sha256", fileSha256);
        }

        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        if (checksum is not null)
        {
            request.Headers.Add("Upload-Checksum", checksum);
        }

        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Content = body;
        return client.SendAsync(request);
    }

    private static HttpRequestMessage Tus(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    private static string Id(string url) => url[(url.LastIndexOf('/') + 1)..];

    /// <summary>The jobs recorded for one upload's completion, oldest first.</summary>
    private async Task<List<UploadJob>> UploadJobsAsync(string uploadId)
    {
        await using var db = app.Database.CreateDbContext();
        return await db.Database.SqlQuery<UploadJob>(
            $"SELECT status, result_entry_id FROM jobs WHERE type = 'upload' AND payload->>'upload' = {uploadId} ORDER BY id").ToListAsync();
    }

    private sealed record UploadJob(FileVault.Core.Jobs.JobStatus Status, long? ResultEntryId);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.Single() : null;

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>A body that sends its first bytes, then waits for a gate before the rest: a PATCH held open mid-chunk.</summary>
    internal sealed class GatedContent(byte[] bytes, int before, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, before));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(bytes.AsMemory(before));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
