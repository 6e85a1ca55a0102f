using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Scanning;

/// <summary>
/// Storage and scan services refuse anyone but admins in Core, whatever page or endpoint calls them: they show server
/// paths and scan errors, and decide what the catalog marks missing. A User calling them directly gets
/// <c>auth.forbidden</c> and changes nothing; an admin gets the data.
/// </summary>
public sealed class AdminOnlyScanServicesTests : IAsyncLifetime
{
    private static readonly AccessSubject User = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
    private static readonly AccessSubject Desk = AccessSubject.Create(Guid.NewGuid(), [Roles.User, Roles.DeskStaff]);
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);

    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            for (var folder = 0; folder < 5; folder++)
            {
                Directory.CreateDirectory(Path.Combine(root, $"folder{folder}"));
                File.WriteAllText(Path.Combine(root, $"folder{folder}", "file.txt"), "content");
            }
        });
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Held_missing_review_refuses_a_user_and_leaves_the_run_waiting()
    {
        foreach (var folder in new[] { "folder0", "folder1", "folder2" })
        {
            Directory.Delete(_harness.PathOf(folder), recursive: true);
        }

        var run = await _harness.ScanAsync(ScanKind.Full);
        Assert.Equal(ScanStatus.AwaitingConfirmation, run.Status);
        var review = _harness.Get<HeldMissingReview>();

        foreach (var actor in new[] { User, Desk })
        {
            Assert.Equal("auth.forbidden", (await review.ConfirmAsync(actor, run.Id, CancellationToken.None)).Error?.Code);
            Assert.Equal("auth.forbidden", (await review.DismissAsync(actor, run.Id, CancellationToken.None)).Error?.Code);
        }

        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.Equal(ScanStatus.AwaitingConfirmation, await db.ScanRuns.Where(r => r.Id == run.Id).Select(r => r.Status).SingleAsync());
            Assert.Equal(0, await db.Entries.CountAsync(e => e.State == EntryState.Missing));
        }

        Assert.Equal(run.HeldMissing, (await review.ConfirmAsync(Admin, run.Id, CancellationToken.None)).Value);
    }

    [Fact]
    public async Task Storage_root_list_with_server_paths_refuses_a_user()
    {
        await using var scope = _harness.CreateScope();
        var queries = scope.ServiceProvider.GetRequiredService<StorageRootQueries>();

        var refused = await queries.ListAsync(User, CancellationToken.None);
        var listed = await queries.ListAsync(Admin, CancellationToken.None);

        Assert.Equal("auth.forbidden", refused.Error?.Code);
        Assert.Equal(_harness.Root, Assert.Single(listed.Value).Path);
    }

    [Fact]
    public async Task Scan_queries_refuse_a_user()
    {
        var queries = _harness.Get<ScanQueries>();
        var runId = (await queries.RecentRunsAsync(Admin, 1, CancellationToken.None)).Value.Single().Id;

        Assert.Equal("auth.forbidden", (await queries.RootsAsync(User, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await queries.RecentRunsAsync(User, 20, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await queries.ErrorsAsync(User, runId, 200, CancellationToken.None)).Error?.Code);
        Assert.Equal("auth.forbidden", (await queries.AlertsAsync(User, CancellationToken.None)).Error?.Code);
        Assert.Equal(_harness.Root, Assert.Single((await queries.RootsAsync(Admin, CancellationToken.None)).Value).Path);
        Assert.True((await queries.ErrorsAsync(Admin, runId, 200, CancellationToken.None)).IsSuccess);
        Assert.True((await queries.AlertsAsync(Admin, CancellationToken.None)).IsSuccess);
    }

    [Fact]
    public void Running_scans_are_shown_to_admins_only()
    {
        var monitor = _harness.Get<ScanMonitor>();

        Assert.Equal("auth.forbidden", monitor.RunningFor(User).Error?.Code);
        Assert.True(monitor.RunningFor(Admin).IsSuccess);
    }

    [Fact]
    public async Task Root_health_check_refuses_a_user_and_changes_nothing()
    {
        File.Delete(_harness.PathOf(StorageRootRegistry.MarkerFileName));
        var health = _harness.Get<RootHealthService>();

        var refused = await health.CheckAllAsync(User, CancellationToken.None);

        Assert.Equal("auth.forbidden", refused.Error?.Code);
        Assert.False(await AlertOpenAsync());
        Assert.Equal(1, (await health.CheckAllAsync(Admin, CancellationToken.None)).Value);
        Assert.True(await AlertOpenAsync());
    }

    [Fact]
    public async Task The_schedule_checks_root_health_as_the_system()
    {
        File.Delete(_harness.PathOf(StorageRootRegistry.MarkerFileName));

        await new MountHealthSchedule(_harness.Get<RootHealthService>(), _harness.Get<FileVault.Core.Locks.ScheduleOccurrences>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<MountHealthSchedule>.Instance).Invoke();

        Assert.True(await AlertOpenAsync());
    }

    [Fact]
    public async Task Root_onboarding_refuses_a_user_and_registers_and_scans_nothing()
    {
        var directory = Directory.CreateTempSubdirectory("filevault-onboarding-").FullName;
        try
        {
            await using var scope = _harness.CreateScope();
            var onboarding = scope.ServiceProvider.GetRequiredService<RootOnboarding>();

            var refused = await onboarding.RegisterAsync(User, "Refused", directory, isReadOnly: false, CancellationToken.None);

            Assert.Equal("auth.forbidden", refused.Error?.Code);
            await using var db = _harness.Database.CreateDbContext();
            Assert.False(await db.StorageRoots.AnyAsync(r => r.Name == "Refused"));
            Assert.Equal(1, await db.ScanRuns.CountAsync());
            Assert.False(File.Exists(Path.Combine(directory, StorageRootRegistry.MarkerFileName)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<bool> AlertOpenAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.StorageRoots.Where(r => r.Id == _harness.RootId).Select(r => r.AlertOpen).SingleAsync();
    }
}
