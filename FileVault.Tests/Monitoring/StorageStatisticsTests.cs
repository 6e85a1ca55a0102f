using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Monitoring;

/// <summary>Storage statistics on a real disk and catalog: what a completed scan records, how it grows, who may read it.</summary>
public sealed class StorageStatisticsTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync();
        _admin = await HarnessUsers.CreateAsync(_harness, "boss@stats.test", Roles.Admin);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_completed_scan_records_bytes_by_type_and_extension_largest_folders_and_uploaders()
    {
        // "영업부" written in NFD, as a Mac would.
        var sales = "영업부".Normalize(NormalizationForm.FormD);
        Write($"{sales}/2026/보고서.pdf", 5_000);
        Write($"{sales}/2026/사진.JPG", 3_000);
        Write($"{sales}/메모", 100);
        Write("백업/archive.zip", 20_000);
        Write("백업/old/사진2.jpg", 1_000);
        Write("readme.txt", 10);
        await ScanAsync();
        var uploader = await HarnessUsers.CreateAsync(_harness, "uploader@stats.test", Roles.User);
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.RootId == _harness.RootId && (e.Name == "archive.zip" || e.Name == "readme.txt"))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.UploadedById, uploader.UserId));
        }

        await ScanAsync();
        var stats = await ReadAsync();

        Assert.Equal((6L, 29_110L), (stats.Files, stats.Bytes));
        Assert.Equal(4, stats.Folders);
        Assert.Equal(
            [("Archive", 1L, 20_000L), ("Document", 2L, 5_010L), ("Image", 2L, 4_000L), ("Other", 1L, 100L)],
            stats.Breakdown.Types.Select(t => (t.Type, t.Files, t.Bytes)));
        Assert.Equal([("zip", 1L, 20_000L), ("pdf", 1L, 5_000L), ("jpg", 2L, 4_000L), ("", 1L, 100L), ("txt", 1L, 10L)],
            stats.Breakdown.Extensions.Select(e => (e.Extension, e.Files, e.Bytes)));
        Assert.Null(stats.Breakdown.OtherExtensions);
        Assert.Equal(
            [("백업", 2L, 21_000L), (sales, 3L, 8_100L), ($"{sales}/2026", 2L, 8_000L), ("백업/old", 1L, 1_000L)],
            stats.Breakdown.LargestFolders.Select(f => (f.Path, f.Files, f.Bytes)));
        var top = Assert.Single(stats.Breakdown.Uploaders);
        Assert.Equal(("uploader@stats.test", 2L, 20_010L), (top.Email, top.Files, top.Bytes));
    }

    [Fact]
    public async Task Each_completed_scan_adds_a_growth_point_and_trashed_or_missing_files_no_longer_count()
    {
        Write("a/one.bin", 1_000);
        await ScanAsync();
        Write("a/two.bin", 4_000);
        Write("b/three.bin", 500);
        await ScanAsync();
        File.Delete(_harness.PathOf("b/three.bin"));
        await ScanAsync();

        var stats = await ReadAsync();

        Assert.Equal([1_000L, 5_500L, 5_000L], stats.Growth.Select(p => p.Bytes));
        Assert.Equal([1L, 3L, 2L], stats.Growth.Select(p => p.Files));
        Assert.Equal((2L, 5_000L), (stats.Files, stats.Bytes));
        Assert.Equal([("a", 5_000L), ("b", 0L)], stats.Breakdown.LargestFolders.Select(f => (f.Path, f.Bytes)));
    }

    [Fact]
    public async Task Before_any_scan_there_are_no_statistics_and_a_recompute_makes_them()
    {
        var statistics = _harness.Get<StorageStatistics>();
        Assert.Null((await statistics.ForRootAsync(_admin, _harness.RootId, DateTimeOffset.MinValue, default)).Value);

        Assert.True((await statistics.RefreshAsync(_admin, _harness.RootId, default)).IsSuccess);

        var stats = (await statistics.ForRootAsync(_admin, _harness.RootId, DateTimeOffset.MinValue, default)).Value;
        Assert.NotNull(stats);
        Assert.Equal((0L, 0L, 0L), (stats.Files, stats.Folders, stats.Bytes));
        Assert.Null(stats.ScanRunId);
    }

    [Fact]
    public async Task A_user_who_may_read_the_whole_root_is_still_refused_its_statistics()
    {
        Write("secret/plan.pdf", 1_000);
        await ScanAsync();
        var user = await HarnessUsers.CreateAsync(_harness, "plain@stats.test", Roles.User);
        await using (var db = _harness.Database.CreateDbContext())
        {
            // Even a grant on the whole root does not open the admin statistics (they name every folder and uploader).
            db.FolderGrants.Add(new FolderGrant { RootId = _harness.RootId, RelativePath = "", UserId = user.UserId, Permissions = Permission.Read, Effect = GrantEffect.Allow });
            await db.SaveChangesAsync();
        }

        var statistics = _harness.Get<StorageStatistics>();

        Assert.Equal("auth.forbidden", (await statistics.ForRootAsync(user, _harness.RootId, DateTimeOffset.MinValue, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await statistics.RefreshAsync(user, _harness.RootId, default)).Error?.Code);
        Assert.NotNull((await statistics.ForRootAsync(_admin, _harness.RootId, DateTimeOffset.MinValue, default)).Value);
    }

    private void Write(string relative, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_harness.PathOf(relative))!);
        File.WriteAllBytes(_harness.PathOf(relative), new byte[bytes]);
    }

    private async Task ScanAsync() => Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);

    private async Task<RootStorageStatistics> ReadAsync()
    {
        var result = await _harness.Get<StorageStatistics>().ForRootAsync(_admin, _harness.RootId, DateTimeOffset.MinValue, default);
        Assert.True(result.IsSuccess);
        return Assert.IsType<RootStorageStatistics>(result.Value);
    }
}
