using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Scanning;

/// <summary>The scanner never trusts an empty mount (DESIGN invariant 5, R-SCAN-1, R-SCAN-2, R-TEST-4).</summary>
public sealed class MountSafetyTests : IAsyncLifetime
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);

    private ScanHarness _harness = default!;
    private int _catalogued;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            for (var folder = 0; folder < 5; folder++)
            {
                for (var file = 0; file < 8; file++)
                {
                    var path = Path.Combine(root, $"부서{folder}", $"문서{file}.txt");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllText(path, "content " + file);
                }
            }
        });
        var first = await _harness.ScanAsync(ScanKind.Full);
        Assert.Equal(ScanStatus.Completed, first.Status);
        _catalogued = (await _harness.CatalogAsync()).Count;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Marker_gone_aborts_the_scan_and_marks_nothing_missing()
    {
        File.Delete(_harness.PathOf(StorageRootRegistry.MarkerFileName));
        Directory.Delete(_harness.PathOf("부서0"), recursive: true);

        var run = await _harness.ScanAsync(ScanKind.Full);

        await AssertAbortedAsync(run, "root.marker_missing");
    }

    [Fact]
    public async Task Emptied_directory_aborts_the_scan_and_marks_nothing_missing()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(_harness.Root))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }

        var run = await _harness.ScanAsync(ScanKind.Incremental);

        await AssertAbortedAsync(run, "root.marker_missing");
    }

    [Fact]
    public async Task Path_replaced_by_an_empty_mount_point_aborts_the_scan()
    {
        var away = _harness.Root + "-unmounted";
        Directory.Move(_harness.Root, away);
        Directory.CreateDirectory(_harness.Root);
        try
        {
            var run = await _harness.ScanAsync(ScanKind.Full);

            await AssertAbortedAsync(run, "root.marker_missing");
        }
        finally
        {
            Directory.Delete(_harness.Root);
            Directory.Move(away, _harness.Root);
        }
    }

    [Fact]
    public async Task Missing_root_path_aborts_the_scan()
    {
        var away = _harness.Root + "-gone";
        Directory.Move(_harness.Root, away);
        try
        {
            await AssertAbortedAsync(await _harness.ScanAsync(ScanKind.Full), "root.missing");
        }
        finally
        {
            Directory.Move(away, _harness.Root);
        }
    }

    [Fact]
    public async Task Another_device_at_the_path_aborts_the_scan()
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            // As if another file system were now mounted at the root's path.
            await db.StorageRoots.Where(r => r.Id == _harness.RootId).ExecuteUpdateAsync(s => s.SetProperty(r => r.DeviceId, r => r.DeviceId + 1));
        }

        Directory.Delete(_harness.PathOf("부서1"), recursive: true);

        await AssertAbortedAsync(await _harness.ScanAsync(ScanKind.Full), "root.device_changed");
    }

    [Fact]
    public async Task Losing_more_than_the_fraction_holds_the_missing_back_until_an_admin_confirms()
    {
        // Two of five folders (18 of 45 entries, 40%) disappear, over the 20% default.
        Directory.Delete(_harness.PathOf("부서0"), recursive: true);
        Directory.Delete(_harness.PathOf("부서1"), recursive: true);
        _harness.WriteFile("부서2/새 문서.txt", "added while the others vanished");

        var run = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(ScanStatus.AwaitingConfirmation, run.Status);
        Assert.Equal(0, run.Missing);
        Assert.Equal(18, run.HeldMissing);
        Assert.Equal(1, run.Added);
        Assert.Equal(_catalogued + 1, (await _harness.CatalogAsync()).Count);
        Assert.True(await AlertOpenAsync());

        var confirmed = await _harness.Get<HeldMissingReview>().ConfirmAsync(Admin, run.Id, CancellationToken.None);

        Assert.Equal(18, confirmed.Value);
        await _harness.AssertCatalogMatchesDiskAsync();
        Assert.False(await AlertOpenAsync());
    }

    [Fact]
    public async Task Dismissing_held_missing_keeps_the_entries()
    {
        Directory.Delete(_harness.PathOf("부서0"), recursive: true);
        Directory.Delete(_harness.PathOf("부서1"), recursive: true);
        var run = await _harness.ScanAsync(ScanKind.Full);

        var dismissed = await _harness.Get<HeldMissingReview>().DismissAsync(Admin, run.Id, CancellationToken.None);

        Assert.True(dismissed.IsSuccess);
        Assert.Equal(_catalogued, (await _harness.CatalogAsync()).Count);
        Assert.False(await AlertOpenAsync());
        Assert.Equal("scan.not_awaiting_confirmation",
            (await _harness.Get<HeldMissingReview>().ConfirmAsync(Admin, run.Id, CancellationToken.None)).Error?.Code);
    }

    [Fact]
    public async Task Health_check_opens_the_alert_when_the_mount_goes_and_closes_it_when_it_returns()
    {
        var marker = _harness.PathOf(StorageRootRegistry.MarkerFileName);
        var content = await File.ReadAllTextAsync(marker);
        File.Delete(marker);
        await _harness.Get<RootHealthService>().CheckAllAsync(Admin, CancellationToken.None);
        Assert.True(await AlertOpenAsync());

        await File.WriteAllTextAsync(marker, content);
        await _harness.Get<RootHealthService>().CheckAllAsync(Admin, CancellationToken.None);
        Assert.False(await AlertOpenAsync());
    }

    private async Task AssertAbortedAsync(ScanRun run, string code)
    {
        Assert.Equal(ScanStatus.AbortedUnhealthy, run.Status);
        Assert.Contains(code, run.Message, StringComparison.Ordinal);
        Assert.Equal(_catalogued, (await _harness.CatalogAsync()).Count);
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(0, await db.Entries.CountAsync(e => e.RootId == _harness.RootId && e.State == EntryState.Missing));
        var root = await db.StorageRoots.SingleAsync(r => r.Id == _harness.RootId);
        Assert.Equal(RootHealth.Unhealthy, root.Health);
        Assert.True(root.AlertOpen);
    }

    private async Task<bool> AlertOpenAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.StorageRoots.Where(r => r.Id == _harness.RootId).Select(r => r.AlertOpen).SingleAsync();
    }
}
