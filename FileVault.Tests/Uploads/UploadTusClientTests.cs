using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using FileVault.Core.Tokens;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Uploads;

/// <summary>
/// The real tus-js-client (4.3.1, from FileVault.Tests/tus-client, installed by scripts/test.sh) against the app on a
/// socket, as a script with a personal access token uses it: 20 MB in 5 MB chunks, aborted after the second chunk,
/// resumed by a new client object from the URL it stored for the file, finished with the exact bytes and a catalog row;
/// straight to Kestrel and through nginx.
/// </summary>
public sealed class UploadTusClientTests(UploadFixture app) : IClassFixture<UploadFixture>
{
    private const int FileSize = 20 * 1000 * 1000;
    private const int ChunkSize = 5 * 1000 * 1000;

    // Through the repository's nginx.conf too: its body size limit and unbuffered /api/v1/uploads must fit a chunk (R-DEG-5).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tus_js_client_uploads_20_MB_in_5_MB_chunks_resumes_after_an_abort_and_the_file_lands_exactly(bool throughNginx)
    {
        await using var nginx = throughNginx ? await NginxProxy.StartAsync(app.BaseAddress, app.StorageDirectory) : null;
        var server = nginx?.BaseAddress ?? app.BaseAddress;
        var bytes = new byte[FileSize];
        new Random(20261202).NextBytes(bytes);
        var work = Directory.CreateTempSubdirectory("filevault-tus-").FullName;
        var name = $"큰 파일 {(throughNginx ? "nginx" : "direct")}.bin";
        var source = Path.Combine(work, name);
        await File.WriteAllBytesAsync(source, bytes);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var token = await PersonalTokenAsync();
        var folderId = await app.IdAsync("Public");

        var run = await RunNodeAsync(nginx?.CertificatePath, new Uri(server, "/api/v1/uploads").ToString(), token, source, folderId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Path.Combine(work, "urls.json"), ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture), (2 * ChunkSize).ToString(System.Globalization.CultureInfo.InvariantCulture), sha256);

        var result = JsonDocument.Parse(run).RootElement;
        Assert.Equal(result.GetProperty("firstUrl").GetString(), result.GetProperty("secondUrl").GetString());
        var patches = result.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("method").GetString() == "PATCH").ToList();
        var offsets = patches.Select(e => e.GetProperty("offset").GetString()).ToList();
        // Two chunks, the abort, then a HEAD and the two remaining chunks from 10 MB on: nothing sent twice.
        Assert.Equal(["5000000", "10000000", "15000000", "20000000"], offsets);
        Assert.Contains(result.GetProperty("events").EnumerateArray(), e => e.GetProperty("method").GetString() == "HEAD" && e.GetProperty("offset").GetString() == "10000000");
        var entryId = long.Parse(patches[^1].GetProperty("entryId").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var onDisk = app.PathOf("Public/" + name);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(onDisk))));
        await using var db = app.Database.CreateDbContext();
        var entry = await db.Entries.SingleAsync(e => e.Id == entryId);
        Assert.Equal("Public/" + name, entry.RelativePath);
        Assert.Equal(FileSize, entry.Size);
        Assert.Equal(sha256, Convert.ToHexStringLower(entry.ContentHash!));
        Directory.Delete(work, recursive: true);
    }

    private async Task<string> PersonalTokenAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = app.Database.CreateDbContext();
        var admin = await db.Users.SingleAsync(u => u.Email == UploadFixture.AdminEmail);
        var created = await scope.ServiceProvider.GetRequiredService<PersonalAccessTokens>().CreateAsync(
            AccessSubject.Create(admin.Id, [Roles.SuperAdmin]), "tus test", TokenScope.ReadWrite, DateTimeOffset.UtcNow.AddDays(1), CancellationToken.None);
        Assert.True(created.IsSuccess, created.Error?.Message);
        return created.Value.Secret;
    }

    private static async Task<string> RunNodeAsync(string? trustedCertificate, params string[] arguments)
    {
        var client = Path.Combine(TestEnvironment.RepositoryRoot, "FileVault.Tests", "tus-client");
        Assert.True(Directory.Exists(Path.Combine(client, "node_modules", "tus-js-client")), "tus-js-client is not installed: run scripts/test.sh, which installs it.");
        var start = new ProcessStartInfo("node") { WorkingDirectory = client, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("upload.mjs");
        if (trustedCertificate is not null)
        {
            // nginx's self-signed certificate for this test, trusted by node alongside its usual CAs.
            start.Environment["NODE_EXTRA_CA_CERTS"] = trustedCertificate;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await errors}");
        return (await output).Trim().Split('\n')[^1];
    }
}
