using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Cleanup;
using FileVault.Core.Trash;
using FileVault.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// tus creation-with-upload: a POST that carries the file (a folder upload's small files, one request each) is created,
/// checked and placed at once, under the same access rules as a creation and a completion; a POST with the first bytes
/// of a larger file is an upload that continues with PATCH. And replace, asked at creation and again at completion.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UploadCreationWithBodyTests(UploadFixture app) : IClassFixture<UploadFixture>
{
    private const string OffsetType = "application/offset+octet-stream";

    [Fact]
    public async Task A_whole_file_in_the_creation_is_placed_with_its_hash_catalog_row_and_audit_and_a_later_head_answers()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(10_240);
        var staged = StagingFiles();

        var created = await PostAsync(client, "Public", "whole.bin", bytes.Length, bytes, Sha256(bytes));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("10240", Header(created, "Upload-Offset"));
        var entryId = long.Parse(Header(created, "FileVault-Entry-Id")!, CultureInfo.InvariantCulture);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/whole.bin")));
        await using var db = app.Database.CreateDbContext();
        var entry = await db.Entries.SingleAsync(e => e.Id == entryId);
        Assert.Equal("Public/whole.bin", entry.RelativePath);
        Assert.Equal(SHA256.HashData(bytes), entry.ContentHash);
        Assert.NotNull(entry.UploadedById);
        Assert.True(await db.AuditLog.AnyAsync(a => a.Action == "entry.upload" && a.Target.EndsWith("/Public/whole.bin")));
        var upload = await db.Uploads.SingleAsync(u => u.Id == Id(created));
        Assert.Equal(UploadStatus.Completed, upload.Status);
        Assert.Equal(entryId, upload.EntryId);
        Assert.Equal(staged, StagingFiles());
        var head = await client.SendAsync(Tus(HttpMethod.Head, created.Headers.Location!.ToString()));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("10240", Header(head, "Upload-Offset"));
    }

    [Fact]
    public async Task A_placed_file_moves_its_folders_stamp_to_the_folders_time_on_disk_so_open_pages_show_it()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(1_000);
        var folderId = await app.IdAsync("Public");

        var created = await PostAsync(client, "Public", "stamped.bin", bytes.Length, bytes, Sha256(bytes));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // Written shortly after the answer (FolderStamps), with the folder's mtime as the rename left it.
        var onDisk = FileVault.Core.Catalog.CatalogChanges.MtimeOf(app.PathOf("Public"));
        await Infrastructure.Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            return await db.Entries.Where(e => e.Id == folderId).Select(e => e.ModifiedAt).SingleAsync() == onDisk;
        }, "the folder's stamp to move to its mtime on disk");
    }

    [Fact]
    public async Task The_first_chunk_in_the_creation_is_kept_and_the_rest_follows_by_patch()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        var created = await PostAsync(client, "Public", "first-chunk.bin", bytes.Length, bytes[..100_000]);
        var url = created.Headers.Location!.ToString();
        var rest = Tus(HttpMethod.Patch, url);
        rest.Headers.Add("Upload-Offset", "100000");
        rest.Headers.Add("FileVault-Sha256", Sha256(bytes));
        rest.Content = Body(bytes[100_000..]);
        var last = await client.SendAsync(rest);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("100000", Header(created, "Upload-Offset"));
        Assert.NotNull(Header(created, "Upload-Expires"));
        Assert.Null(Header(created, "FileVault-Entry-Id"));
        Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Public/first-chunk.bin")));
    }

    [Fact]
    public async Task A_creation_whose_first_chunk_is_cut_off_leaves_no_upload_behind_since_its_address_was_never_told()
    {
        using var client = app.Admin();
        var gate = new TaskCompletionSource();
        var request = Tus(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Upload-Length", "2000000");
        request.Headers.TryAddWithoutValidation("Upload-Metadata", UploadFixture.Metadata(
            ("destination", (await app.IdAsync("Public")).ToString(CultureInfo.InvariantCulture)), ("filename", "cut-off.bin")));
        request.Content = new CutOffContent(new byte[1_000_000], 500_000, gate.Task);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(OffsetType);
        request.Content.Headers.ContentLength = 1_000_000;

        var sending = client.SendAsync(request);
        string? id = null;
        await Infrastructure.Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            id = await db.Uploads.Where(u => u.FileName == "cut-off.bin").Select(u => u.Id).SingleOrDefaultAsync();
            return id is not null;
        }, "the upload created by the POST");
        gate.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);

        await Infrastructure.Poll.UntilAsync(async () =>
        {
            await using var db = app.Database.CreateDbContext();
            return !await db.Uploads.AnyAsync(u => u.Id == id) && !File.Exists(app.StagingPathOf(id!));
        }, "the cut-off upload's record and bytes to go");
    }

    [Fact]
    public async Task A_whole_file_whose_sha256_differs_creates_nothing_and_leaves_no_record_or_staged_bytes()
    {
        using var client = app.Admin();
        var bytes = RandomNumberGenerator.GetBytes(5_000);
        var staged = StagingFiles();

        var created = await PostAsync(client, "Public", "wrong-hash.bin", bytes.Length, bytes, Sha256([1, 2, 3]));

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        Assert.Equal("upload.hash_mismatch", await CodeAsync(created));
        Assert.False(File.Exists(app.PathOf("Public/wrong-hash.bin")));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.RelativePath == "Public/wrong-hash.bin"));
        Assert.False(await db.Uploads.AnyAsync(u => u.FileName == "wrong-hash.bin"));
        Assert.Equal(staged, StagingFiles());
    }

    [Theory]
    // Read only on Sales: no Write.
    [InlineData("read", "Sales", null)]
    // Write on Sales, denied Sales/Secret: into it by id, or by a relative path through it.
    [InlineData("deny-under-allow", "Sales/Secret", null)]
    [InlineData("deny-under-allow", "Sales", "Secret/sneaked.txt")]
    // No grant at all.
    [InlineData("none", "Sales", null)]
    public async Task A_user_who_may_not_write_there_gets_nothing_in_by_sending_the_file_with_the_creation(string matrixCase, string folder, string? relativePath)
    {
        using var client = app.Client(await app.UserTokenAsync(matrixCase));
        var bytes = "sneaked"u8.ToArray();
        var staged = StagingFiles();

        var created = await PostAsync(client, folder, "sneaked.txt", bytes.Length, bytes, Sha256(bytes), relativePath is null ? null : new[] { ("relativePath", relativePath) });

        Assert.True(created.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        Assert.Empty(Directory.EnumerateFiles(app.StorageDirectory, "sneaked.txt", SearchOption.AllDirectories));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.Name == "sneaked.txt"));
        Assert.Equal(staged, StagingFiles());
    }

    [Fact]
    public async Task A_writer_of_Sales_uploads_into_Sales_but_not_into_a_sibling_whose_name_only_begins_the_same()
    {
        // The grants that decide come with the destination's row (one query), matched on whole components (R-PATH-3).
        using var admin = app.Admin();
        var sibling = "Sales-Confidential-" + Guid.NewGuid().ToString("N")[..6];
        var made = await admin.PostAsJsonAsync("/api/v1/folders", new { parentId = await app.IdAsync(""), name = sibling });
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());
        using var client = app.Client(await app.UserTokenAsync("write"));
        var bytes = "sibling"u8.ToArray();
        var name = $"sibling-{Guid.NewGuid():N}.txt";

        var intoSales = await PostAsync(client, "Sales", name, bytes.Length, bytes, Sha256(bytes));
        var intoSibling = await PostAsync(client, sibling, name, bytes.Length, bytes, Sha256(bytes));

        Assert.Equal(HttpStatusCode.Created, intoSales.StatusCode);
        Assert.True(intoSibling.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)intoSibling.StatusCode} {await intoSibling.Content.ReadAsStringAsync()}");
        Assert.False(File.Exists(app.PathOf($"{sibling}/{name}")));
    }

    [Fact]
    public async Task A_group_grant_on_Sales_lets_its_member_upload_there_and_not_a_user_outside_the_group()
    {
        // The grants read with the destination include the user's groups' and only theirs.
        var member = $"group-member-{Guid.NewGuid():N}@uploads.test";
        var outsider = $"group-outsider-{Guid.NewGuid():N}@uploads.test";
        var memberUser = await app.CreateUserAsync(member, Roles.User);
        await app.CreateUserAsync(outsider, Roles.User);
        await using (var db = app.Database.CreateDbContext())
        {
            var group = new Group { Name = "uploaders-" + Guid.NewGuid().ToString("N")[..8], CreatedAt = DateTimeOffset.UtcNow };
            db.Groups.Add(group);
            await db.SaveChangesAsync();
            db.GroupMembers.Add(new GroupMember { GroupId = group.Id, UserId = memberUser.Id, AddedAt = DateTimeOffset.UtcNow });
            db.FolderGrants.Add(new FolderGrant
            {
                RootId = app.RootId, RelativePath = "Sales", GroupId = group.Id, Permissions = Permission.Read | Permission.Write,
                Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        using var memberClient = app.Client(await app.TokenAsync(member, Infrastructure.FileVaultAppFactory.UserPassword));
        using var outsiderClient = app.Client(await app.TokenAsync(outsider, Infrastructure.FileVaultAppFactory.UserPassword));
        var bytes = "grouped"u8.ToArray();
        var name = $"grouped-{Guid.NewGuid():N}.txt";

        var byOutsider = await PostAsync(outsiderClient, "Sales", name, bytes.Length, bytes, Sha256(bytes));
        var byMember = await PostAsync(memberClient, "Sales", name, bytes.Length, bytes, Sha256(bytes));

        Assert.True(byOutsider.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)byOutsider.StatusCode} {await byOutsider.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Created, byMember.StatusCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(app.PathOf("Sales/" + name)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_file_named_as_a_folder_the_user_is_denied_neither_replaces_it_nor_says_what_it_is(bool replace)
    {
        // Write on Sales, denied Sales/Secret: the holder of the name "Secret" is read with the folder, before any byte.
        using var client = app.Client(await app.UserTokenAsync("deny-under-allow"));
        var bytes = "over the secret"u8.ToArray();
        var inside = Directory.GetFileSystemEntries(app.PathOf("Sales/Secret"));
        var staged = StagingFiles();

        var created = await PostAsync(client, "Sales", "Secret", bytes.Length, bytes, Sha256(bytes), replace ? [("onConflict", "replace")] : null);

        Assert.Equal(HttpStatusCode.Conflict, created.StatusCode);
        Assert.Equal("name.conflict", await CodeAsync(created));
        var said = await created.Content.ReadAsStringAsync();
        // Only that the name is taken: never "is a folder", which an unreadable entry's kind would tell.
        Assert.DoesNotContain("is a folder", said, StringComparison.OrdinalIgnoreCase);
        Assert.True(Directory.Exists(app.PathOf("Sales/Secret")));
        Assert.Equal(inside, Directory.GetFileSystemEntries(app.PathOf("Sales/Secret")));
        await using var db = app.Database.CreateDbContext();
        Assert.True(await db.Entries.AnyAsync(e => e.RelativePath == "Sales/Secret" && e.State == FileVault.Core.Catalog.EntryState.Active));
        Assert.Equal(staged, StagingFiles());
    }

    [Fact]
    public async Task Sent_side_by_side_into_one_folder_the_writers_files_land_and_the_reader_gets_403_and_nothing()
    {
        // A folder upload's files complete at the same moment as another user's: each is checked for its own sender.
        using var writer = app.Admin();
        using var reader = app.Client(await app.UserTokenAsync("read"));
        var allowed = Enumerable.Range(0, 6).Select(i => (Name: $"side-{i}.bin", Bytes: RandomNumberGenerator.GetBytes(10_240))).ToArray();
        var refused = Enumerable.Range(0, 6).Select(i => (Name: $"side-refused-{i}.bin", Bytes: RandomNumberGenerator.GetBytes(10_240))).ToArray();
        var staged = StagingFiles();

        var answers = await Task.WhenAll(allowed.Select(f => PostAsync(writer, "Sales", f.Name, f.Bytes.Length, f.Bytes, Sha256(f.Bytes)))
            .Zip(refused.Select(f => PostAsync(reader, "Sales", f.Name, f.Bytes.Length, f.Bytes, Sha256(f.Bytes))))
            .SelectMany(pair => new[] { pair.First, pair.Second }));

        await using var db = app.Database.CreateDbContext();
        for (var i = 0; i < allowed.Length; i++)
        {
            Assert.Equal(HttpStatusCode.Created, answers[2 * i].StatusCode);
            Assert.Equal(allowed[i].Bytes, await File.ReadAllBytesAsync(app.PathOf("Sales/" + allowed[i].Name)));
            var entryId = long.Parse(Header(answers[2 * i], "FileVault-Entry-Id")!, CultureInfo.InvariantCulture);
            Assert.Equal(SHA256.HashData(allowed[i].Bytes), (await db.Entries.SingleAsync(e => e.Id == entryId)).ContentHash);
            Assert.Equal(HttpStatusCode.Forbidden, answers[2 * i + 1].StatusCode);
            Assert.Empty(Directory.EnumerateFiles(app.StorageDirectory, refused[i].Name, SearchOption.AllDirectories));
            Assert.False(await db.Entries.AnyAsync(e => e.Name == refused[i].Name));
        }

        Assert.Equal(staged, StagingFiles());
    }

    [Fact]
    public async Task Replace_sent_whole_by_a_user_with_write_but_no_delete_is_refused_and_the_old_file_stays()
    {
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(admin, "Public", "keep.txt", 4, "keep"u8.ToArray())).StatusCode);
        var writer = await UserAsync(Permission.Read | Permission.Write);
        using var client = app.Client(writer.Token);
        var bytes = "overwritten"u8.ToArray();
        var staged = StagingFiles();

        var replaced = await PostAsync(client, "Public", "keep.txt", bytes.Length, bytes, Sha256(bytes), [("onConflict", "replace")]);

        Assert.Equal(HttpStatusCode.Conflict, replaced.StatusCode);
        Assert.Equal("keep", await File.ReadAllTextAsync(app.PathOf("Public/keep.txt")));
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.TrashItems.AnyAsync(t => t.OriginalPath == "Public/keep.txt"));
        Assert.Equal(staged, StagingFiles());
    }

    [Fact]
    public async Task Replace_sent_whole_by_a_user_with_delete_puts_the_old_file_in_the_trash()
    {
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(admin, "Public", "swap.txt", 3, "old"u8.ToArray())).StatusCode);
        var deleter = await UserAsync(Permission.Read | Permission.Write | Permission.Delete);
        using var client = app.Client(deleter.Token);

        var replaced = await PostAsync(client, "Public", "swap.txt", 3, "new"u8.ToArray(), Sha256("new"u8.ToArray()), [("onConflict", "replace")]);

        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.Equal("new", await File.ReadAllTextAsync(app.PathOf("Public/swap.txt")));
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(TrashItemState.InTrash, (await db.TrashItems.SingleAsync(t => t.OriginalPath == "Public/swap.txt")).State);
    }

    [Fact]
    public async Task Replace_allowed_at_creation_is_asked_again_at_completion_and_a_delete_revoked_meanwhile_keeps_the_old_file()
    {
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(admin, "Public", "revoked.txt", 3, "old"u8.ToArray())).StatusCode);
        var user = await UserAsync(Permission.Read | Permission.Write | Permission.Delete);
        using var client = app.Client(user.Token);
        var bytes = "replacement"u8.ToArray();

        // Created with replace while the user may delete; the bytes come after Delete was taken away.
        var created = await PostAsync(client, "Public", "revoked.txt", bytes.Length, body: null, more: [("onConflict", "replace")]);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using (var db = app.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.Id == user.GrantId).ExecuteUpdateAsync(s => s.SetProperty(g => g.Permissions, Permission.Read | Permission.Write));
        }

        await app.Services.GetRequiredService<AccessVersion>().BumpAsync();
        var patch = Tus(HttpMethod.Patch, created.Headers.Location!.ToString());
        patch.Headers.Add("Upload-Offset", "0");
        patch.Content = Body(bytes);
        var completed = await client.SendAsync(patch);

        Assert.Equal(HttpStatusCode.Conflict, completed.StatusCode);
        Assert.Equal("old", await File.ReadAllTextAsync(app.PathOf("Public/revoked.txt")));
        await using var after = app.Database.CreateDbContext();
        Assert.False(await after.TrashItems.AnyAsync(t => t.OriginalPath == "Public/revoked.txt"));
        Assert.False(File.Exists(app.StagingPathOf(Id(created))));
    }

    [Fact]
    public async Task A_whole_file_whose_write_is_revoked_while_its_body_arrives_is_refused_and_nothing_lands()
    {
        // The completion of a file sent whole reuses the creation's checks only while no access change happened since:
        // the attack is a user whose Write is taken away after the checks passed, while the body is still on its way.
        var user = await UserAsync(Permission.Read | Permission.Write);
        using var client = app.Client(user.Token);
        var bytes = RandomNumberGenerator.GetBytes(1_000_000);
        var staged = StagingFiles();
        var gate = new TaskCompletionSource();
        var request = Tus(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Upload-Length", "1000000");
        request.Headers.TryAddWithoutValidation("Upload-Metadata", UploadFixture.Metadata(
            ("destination", (await app.IdAsync("Public")).ToString(CultureInfo.InvariantCulture)), ("filename", "revoked-mid-body.bin")));
        request.Content = new GatedContent(bytes, 500_000, gate.Task);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(OffsetType);

        var sending = client.SendAsync(request);
        // Its staging file exists once the creation's checks have passed and the body is being read.
        await Infrastructure.Poll.UntilAsync(() => Task.FromResult(StagingFiles().Except(staged).Any()), "the upload's staging file");
        await using (var db = app.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.Id == user.GrantId).ExecuteUpdateAsync(s => s.SetProperty(g => g.Permissions, Permission.Read));
        }

        await app.Services.GetRequiredService<AccessVersion>().BumpAsync();
        gate.SetResult();
        var answer = await sending;

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Equal("auth.forbidden", await CodeAsync(answer));
        Assert.False(File.Exists(app.PathOf("Public/revoked-mid-body.bin")));
        Assert.Equal(staged, StagingFiles());
        await using var after = app.Database.CreateDbContext();
        Assert.False(await after.Entries.AnyAsync(e => e.RelativePath == "Public/revoked-mid-body.bin"));
    }

    [Fact]
    public async Task The_expiry_schedule_deletes_old_staging_files_that_no_upload_owns_and_keeps_the_rest()
    {
        using var client = app.Admin();
        var live = await PostAsync(client, "Public", "still-coming.bin", 100, body: null);
        var staging = Path.GetDirectoryName(app.StagingPathOf("x"))!;
        var orphan = Path.Combine(staging, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var recent = Path.Combine(staging, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        await File.WriteAllTextAsync(orphan, "left by a kill");
        await File.WriteAllTextAsync(recent, "a request still writing");
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddDays(-2));
        // The live upload's file is as old, but it has its row.
        File.SetLastWriteTimeUtc(app.StagingPathOf(Id(live)), DateTime.UtcNow.AddDays(-2));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<CleanupRuns>().RunAsync(scope.ServiceProvider.GetRequiredService<UploadExpirySchedule>(), default);
        }

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(recent));
        Assert.True(File.Exists(app.StagingPathOf(Id(live))));
    }

    private async Task<(string Token, long GrantId)> UserAsync(Permission onPublic)
    {
        var email = $"public-{Guid.NewGuid():N}@uploads.test";
        var user = await app.CreateUserAsync(email, Roles.User);
        var grant = new FolderGrant { RootId = app.RootId, RelativePath = "Public", UserId = user.Id, Permissions = onPublic, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = app.Database.CreateDbContext())
        {
            db.FolderGrants.Add(grant);
            await db.SaveChangesAsync();
        }

        await app.Services.GetRequiredService<AccessVersion>().BumpAsync();
        return (await app.TokenAsync(email, UploadFixture.UserPassword), grant.Id);
    }

    /// <summary>A tus creation; with a body, creation-with-upload.</summary>
    private async Task<HttpResponseMessage> PostAsync(
        HttpClient client, string folder, string name, long length, byte[]? body, string? fileSha256 = null, (string Key, string Value)[]? more = null)
    {
        var request = Tus(HttpMethod.Post, "/api/v1/uploads");
        request.Headers.Add("Upload-Length", length.ToString(CultureInfo.InvariantCulture));
        var id = await app.IdAsync(folder);
        request.Headers.TryAddWithoutValidation("Upload-Metadata", UploadFixture.Metadata(
            [("destination", id.ToString(CultureInfo.InvariantCulture)), ("filename", name), .. more ?? []]));
        if (fileSha256 is not null)
        {
            request.Headers.Add("FileVault-Sha256", fileSha256);
        }

        if (body is not null)
        {
            request.Content = Body(body);
        }

        return await client.SendAsync(request);
    }

    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(OffsetType);
        return content;
    }

    private HashSet<string> StagingFiles()
    {
        var staging = Path.GetDirectoryName(app.StagingPathOf("x"))!;
        return Directory.Exists(staging) ? [.. Directory.EnumerateFileSystemEntries(staging)] : [];
    }

    /// <summary>Sends <paramref name="before"/> bytes, waits for the gate, then fails: a client that goes away mid-body.</summary>
    private sealed class CutOffContent(byte[] bytes, int before, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, before));
            await stream.FlushAsync();
            await gate;
            throw new IOException("the client went away");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }

    /// <summary>Sends <paramref name="before"/> bytes, waits for the gate, then the rest: a body still arriving while something changes.</summary>
    private sealed class GatedContent(byte[] bytes, int before, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
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

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static HttpRequestMessage Tus(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    private static string Id(HttpResponseMessage created) => created.Headers.Location!.ToString()[(created.Headers.Location!.ToString().LastIndexOf('/') + 1)..];

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.Single() : null;

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
}
