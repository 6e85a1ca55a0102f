using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Api;

/// <summary>Storage roots and scans over the admin API, and the audit rows they leave.</summary>
public sealed class StorageAdminApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("filevault-api-root-").FullName;

    [Fact]
    public async Task Registering_a_root_is_audited_with_the_admin_and_a_refused_one_is_not()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var adminId = await AdminIdAsync();

        var registered = await admin.PostAsJsonAsync("/api/v1/admin/roots", new { name = "Audited root", path = _directory, isReadOnly = true });

        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var rootId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await using var db = app.Database.CreateDbContext();
        var audit = Assert.Single(await db.AuditLog.Where(a => a.Action == "root.register" && a.Target == $"root:{rootId}").ToListAsync());
        Assert.Equal(adminId, audit.ActorId);
        Assert.Contains(_directory, audit.Detail, StringComparison.Ordinal);
        var rowsBefore = await db.AuditLog.CountAsync();
        var again = await admin.PostAsJsonAsync("/api/v1/admin/roots", new { name = "Audited again", path = _directory, isReadOnly = false });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(rowsBefore, await db.AuditLog.CountAsync());
    }

    [Fact]
    public async Task Registering_a_root_through_the_api_checks_and_scans_it_without_anyone_pressing_scan()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        Directory.CreateDirectory(Path.Combine(_directory, "보고서"));
        await File.WriteAllTextAsync(Path.Combine(_directory, "보고서", "1분기.txt"), "q1");
        await File.WriteAllTextAsync(Path.Combine(_directory, "readme.txt"), "hello");

        var registered = await admin.PostAsJsonAsync("/api/v1/admin/roots", new { name = "Indexed at once", path = _directory, isReadOnly = false });

        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var rootId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await Poll.UntilAsync(async () =>
        {
            await using var poll = app.Database.CreateDbContext();
            return await poll.Entries.AnyAsync(e => e.RootId == rootId && e.RelativePath == "보고서/1분기.txt");
        }, "the new root's entries to appear");
        await using var db = app.Database.CreateDbContext();
        Assert.Equal(ScanStatus.Completed, await FinishedStatusAsync(rootId, runs: 1));
        Assert.Equal(ScanKind.Full, await db.ScanRuns.Where(r => r.RootId == rootId).Select(r => r.Kind).SingleAsync());
        Assert.True(await db.Entries.AnyAsync(e => e.RootId == rootId && e.RelativePath == "readme.txt"));
        var root = await db.StorageRoots.AsNoTracking().SingleAsync(r => r.Id == rootId);
        Assert.Equal(Core.Storage.RootHealth.Healthy, root.Health);
        Assert.NotNull(root.HealthCheckedAt);
    }

    [Fact]
    public async Task A_user_who_is_not_an_admin_cannot_register_a_root_nor_start_its_scan()
    {
        await app.CreateUserAsync("not-an-admin@filevault.test", "User");
        using var user = await app.BearerForAsync("not-an-admin@filevault.test");
        await using var before = app.Database.CreateDbContext();
        var runsBefore = await before.ScanRuns.CountAsync();

        var refused = await user.PostAsJsonAsync("/api/v1/admin/roots", new { name = "Not mine", path = _directory, isReadOnly = false });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.StorageRoots.AnyAsync(r => r.Name == "Not mine"));
        Assert.False(File.Exists(Path.Combine(_directory, Core.Scanning.StorageRootRegistry.MarkerFileName)));
        Assert.Equal(runsBefore, await db.ScanRuns.CountAsync());
    }

    [Fact]
    public async Task Starting_and_cancelling_a_scan_are_audited()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var held = Path.Combine(_directory, "held");
        Directory.CreateDirectory(held);
        await File.WriteAllTextAsync(Path.Combine(held, "a.txt"), "a");
        var registered = await admin.PostAsJsonAsync("/api/v1/admin/roots", new { name = "Scanned root", path = _directory, isReadOnly = false });
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var rootId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        // Registering queued the root's first scan: let it finish before holding the next one.
        Assert.Equal(ScanStatus.Completed, await FinishedStatusAsync(rootId, runs: 1));
        var nothingRunning = await admin.PostAsync($"/api/v1/admin/roots/{rootId}/scans/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, nothingRunning.StatusCode);
        Assert.Equal("scan.not_running", (await nothingRunning.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        // Hold the walk inside one folder, so the scan is running when it is cancelled.
        var inside = new TaskCompletionSource();
        using var release = new ManualResetEventSlim();
        NativeDirectoryFaults.Set(held, () =>
        {
            inside.TrySetResult();
            release.Wait(TimeSpan.FromSeconds(30));
            return null;
        });
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync($"/api/v1/admin/roots/{rootId}/scans", new { kind = "Full" })).StatusCode);
            await inside.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var cancelled = await admin.PostAsync($"/api/v1/admin/roots/{rootId}/scans/cancel", null);

            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }
        finally
        {
            release.Set();
            NativeDirectoryFaults.ClearUnder(_directory);
        }

        Assert.Equal(ScanStatus.Cancelled, await FinishedStatusAsync(rootId, runs: 2));
        await using var db = app.Database.CreateDbContext();
        var adminId = await AdminIdAsync();
        var audits = await db.AuditLog.Where(a => a.Target == $"root:{rootId}" && a.ActorId == adminId).OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(["root.register", "scan.start", "scan.start", "scan.cancel"], audits.Select(a => a.Action));
        Assert.Contains("Full", audits[2].Detail, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        NativeDirectoryFaults.ClearUnder(_directory);
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<Guid> AdminIdAsync()
    {
        await using var db = app.Database.CreateDbContext();
        return await db.Users.Where(u => u.Email == FileVaultAppFactory.AdminEmail).Select(u => u.Id).SingleAsync();
    }

    /// <summary>
    /// The status of the root's latest scan once <paramref name="runs"/> scans have been recorded and it has finished
    /// (the cancelled walk unwinds on the queue's thread).
    /// </summary>
    private async Task<ScanStatus> FinishedStatusAsync(int rootId, int runs)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var db = app.Database.CreateDbContext();
            var statuses = await db.ScanRuns.Where(r => r.RootId == rootId).OrderBy(r => r.Id).Select(r => r.Status).ToListAsync();
            if (statuses.Count == runs && statuses[^1] is not ScanStatus.Running)
            {
                return statuses[^1];
            }

            await Task.Delay(100);
        }

        Assert.Fail("The scan did not finish.");
        return default;
    }
}
