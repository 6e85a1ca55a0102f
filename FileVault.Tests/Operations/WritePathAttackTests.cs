using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>
/// A user with Read, Write and Delete on <c>Shared</c>, denied by an admin on <c>Shared/HR</c> (everything) and on
/// <c>Shared/Projects/Payroll</c> (Read), tries to reach the denied folders through the file operations: by replacing
/// them with a file of their own, renaming or moving their parent, copying it, through the trash, and with a job queued
/// before a grant was revoked. Every attempt is refused, or leaves the denied part behind, with disk, catalog and trash
/// as they were.
/// </summary>
public sealed class WritePathAttackTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;
    private AccessSubject _user = default!;
    private string _outside = default!;

    public async Task InitializeAsync()
    {
        _outside = Directory.CreateTempSubdirectory("filevault-outside-").FullName;
        File.WriteAllText(Path.Combine(_outside, "canary.txt"), "outside");
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "Shared", "HR"));
            File.WriteAllText(Path.Combine(root, "Shared", "HR", "salaries.xlsx"), "secret salaries");
            Directory.CreateDirectory(Path.Combine(root, "Shared", "Projects", "Payroll"));
            File.WriteAllText(Path.Combine(root, "Shared", "Projects", "Payroll", "march.csv"), "secret payroll");
            File.WriteAllText(Path.Combine(root, "Shared", "Projects", "plan.txt"), "plan");
            Directory.CreateDirectory(Path.Combine(root, "Shared", "Team"));
            File.WriteAllText(Path.Combine(root, "Shared", "Team", "canary.txt"), "inside");
            Directory.CreateDirectory(Path.Combine(root, "Shared", "Drop"));
            Directory.CreateDirectory(Path.Combine(root, "Mine"));
            File.WriteAllText(Path.Combine(root, "Mine", "HR"), "my own file named HR");
        }, FileOperationsTests.RunnerSettings);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _admin = await HarnessUsers.CreateAsync(_harness, "admin@attack.test", Roles.Admin);
        _user = await HarnessUsers.CreateAsync(_harness, "user@attack.test", Roles.User);
        await GrantAsync("Shared", Permission.Read | Permission.Write | Permission.Delete, GrantEffect.Allow);
        await GrantAsync("Mine", Permission.Read | Permission.Write | Permission.Delete, GrantEffect.Allow);
        await GrantAsync("Shared/HR", Permission.All, GrantEffect.Deny);
        await GrantAsync("Shared/Projects/Payroll", Permission.Read, GrantEffect.Deny);
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        await _harness.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }

    [Theory]
    [InlineData(TransferKind.Copy)]
    [InlineData(TransferKind.Move)]
    public async Task Replacing_a_denied_folder_with_an_own_file_is_refused_and_changes_nothing(TransferKind kind)
    {
        var before = await SnapshotAsync();

        var result = await OperationsAsync(ops => ops.TransferAsync(_user, kind, [IdOf("Mine/HR")], IdOf("Shared"), ConflictChoice.Replace, null, default));

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.Contains("unavailable", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Empty(await _harness.Get<TrashQueries>().ListAsync(_admin, default));
    }

    [Fact]
    public async Task Replacing_a_folder_with_a_subfolder_the_user_may_not_delete_is_refused()
    {
        _harness.WriteFile("Mine/Projects", "my own file named Projects");
        await _harness.ScanAsync(ScanKind.Full);
        await GrantAsync("Shared/Projects/Payroll", Permission.Delete, GrantEffect.Deny);
        var before = await SnapshotAsync();

        var result = await OperationsAsync(ops => ops.TransferAsync(_user, TransferKind.Copy, [IdOf("Mine/Projects")], IdOf("Shared"), ConflictChoice.Replace, null, default));

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.Contains("may not delete", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_conflict_with_a_denied_entry_says_only_that_the_name_is_unavailable()
    {
        var result = await OperationsAsync(ops => ops.TransferAsync(_user, TransferKind.Copy, [IdOf("Mine/HR")], IdOf("Shared"), ConflictChoice.Ask, null, default));

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.DoesNotContain("Already", result.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("Unavailable in the destination: \"HR\"", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restoring_with_replace_over_a_denied_folder_is_refused()
    {
        // The user's own file "HR", deleted before the admin's denied folder of that name appeared in Shared.
        await RevokeAsync("Shared/HR");
        Directory.Move(_harness.PathOf("Shared/HR"), _harness.PathOf("Shared/HR-later"));
        File.WriteAllText(_harness.PathOf("Shared/HR"), "my old file named HR");
        await _harness.ScanAsync(ScanKind.Full);
        var deleted = await RunAsync(ops => ops.DeleteAsync(_user, [IdOf("Shared/HR")], null, default));
        Assert.Equal(JobStatus.Succeeded, deleted.Status);
        Directory.Move(_harness.PathOf("Shared/HR-later"), _harness.PathOf("Shared/HR"));
        await _harness.ScanAsync(ScanKind.Full);
        await GrantAsync("Shared/HR", Permission.All, GrantEffect.Deny);
        var before = await SnapshotAsync();

        var result = await OperationsAsync(async ops => await ops.RestoreAsync(_user, await TrashIdsAsync(), ConflictChoice.Replace, null, default));

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal("secret salaries", File.ReadAllText(_harness.PathOf("Shared/HR/salaries.xlsx")));
    }

    [Fact]
    public async Task Renaming_a_folder_carries_the_deny_below_it_to_the_new_name()
    {
        var payroll = IdOf("Shared/Projects/Payroll");

        await using (var scope = _harness.CreateScope())
        {
            var renamed = await scope.ServiceProvider.GetRequiredService<EntryOperations>().RenameAsync(_user, IdOf("Shared/Projects"), "P2", null, default);
            Assert.True(renamed.IsSuccess, renamed.Error?.ToString());
        }

        Assert.Equal("Shared/P2/Payroll", await GrantPathOfAsync(Permission.Read, GrantEffect.Deny, "Shared/P2"));
        await AssertUnreadableAsync(payroll);
    }

    [Fact]
    public async Task A_folder_renamed_on_the_server_keeps_its_grants_after_the_scan()
    {
        var payroll = IdOf("Shared/Projects/Payroll");
        Directory.Move(_harness.PathOf("Shared/Projects"), _harness.PathOf("Shared/P3"));

        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);

        Assert.Equal(payroll, IdOf("Shared/P3/Payroll"));
        Assert.Equal("Shared/P3/Payroll", await GrantPathOfAsync(Permission.Read, GrantEffect.Deny, "Shared/P3"));
        await AssertUnreadableAsync(payroll);
    }

    [Fact]
    public async Task Moving_a_folder_carries_the_deny_below_it_along()
    {
        var payroll = IdOf("Shared/Projects/Payroll");

        var job = await RunAsync(ops => ops.TransferAsync(_user, TransferKind.Move, [IdOf("Shared/Projects")], IdOf("Shared/Drop"), ConflictChoice.Ask, null, default));

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(File.Exists(_harness.PathOf("Shared/Drop/Projects/Payroll/march.csv")));
        Assert.Equal("Shared/Drop/Projects/Payroll", await GrantPathOfAsync(Permission.Read, GrantEffect.Deny, "Shared/Drop"));
        await AssertUnreadableAsync(payroll);
    }

    [Fact]
    public async Task Moving_or_deleting_a_folder_needs_delete_on_every_folder_below_it()
    {
        await GrantAsync("Shared/Projects/Payroll", Permission.Delete, GrantEffect.Deny);
        var before = await SnapshotAsync();

        var moved = await OperationsAsync(ops => ops.TransferAsync(_user, TransferKind.Move, [IdOf("Shared/Projects")], IdOf("Mine"), ConflictChoice.Ask, null, default));
        var deleted = await OperationsAsync(ops => ops.DeleteAsync(_user, [IdOf("Shared/Projects")], null, default));

        Assert.Equal("auth.forbidden", moved.Error?.Code);
        Assert.Equal("auth.forbidden", deleted.Error?.Code);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Copying_a_folder_leaves_out_the_subfolder_the_user_may_not_read()
    {
        var job = await RunAsync(ops => ops.TransferAsync(_user, TransferKind.Copy, [IdOf("Shared/Projects")], IdOf("Mine"), ConflictChoice.Ask, null, default));

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(File.Exists(_harness.PathOf("Mine/Projects/plan.txt")));
        Assert.False(Directory.Exists(_harness.PathOf("Mine/Projects/Payroll")));
        Assert.Contains("\"unreadableLeftOut\": 1", job.Summary, StringComparison.Ordinal);
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task A_deleted_folder_keeps_its_grants_in_the_trash_and_gets_them_back_under_a_new_name()
    {
        var projects = IdOf("Shared/Projects");
        var payroll = IdOf("Shared/Projects/Payroll");
        var trashed = await RunAsync(ops => ops.DeleteAsync(_user, [projects], null, default));
        Assert.True(trashed.Status == JobStatus.Succeeded, trashed.Error);
        Directory.CreateDirectory(_harness.PathOf("Shared/Projects/Payroll"));
        File.WriteAllText(_harness.PathOf("Shared/Projects/Payroll/new.txt"), "new");
        await _harness.ScanAsync(ScanKind.Full);

        var restored = await RunAsync(async ops => (await ops.RestoreAsync(_user, await TrashIdsAsync(), ConflictChoice.KeepBoth, null, default)).Value.Single());

        Assert.True(restored.Status == JobStatus.Succeeded, restored.Error);
        Assert.True(File.Exists(_harness.PathOf("Shared/Projects (1)/Payroll/march.csv")));
        Assert.Equal("Shared/Projects (1)/Payroll", await GrantPathOfAsync(Permission.Read, GrantEffect.Deny, "Shared/Projects (1)"));
        await AssertUnreadableAsync(payroll);
    }

    [Fact]
    public async Task The_trash_lists_only_what_its_viewer_may_read()
    {
        var job = await RunAsync(ops => ops.DeleteAsync(_user, [IdOf("Shared/Team")], null, default));
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Single(await _harness.Get<TrashQueries>().ListAsync(_user, default));

        await GrantAsync("Shared", Permission.Read, GrantEffect.Deny);

        Assert.Empty(await _harness.Get<TrashQueries>().ListAsync(_user, default));
        var restore = await OperationsAsync(async ops => await ops.RestoreAsync(_user, await TrashIdsAsync(), ConflictChoice.Ask, null, default));
        Assert.Equal("trash.not_found", restore.Error?.Code);
        Assert.Single(await _harness.Get<TrashQueries>().ListAsync(_admin, default));
    }

    [Fact]
    public async Task A_queued_copy_stops_when_the_grant_is_revoked_before_it_runs()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        var queued = await OperationsAsync(ops => ops.TransferAsync(_user, TransferKind.Copy, [IdOf("Shared/Projects")], IdOf("Mine"), ConflictChoice.Ask, null, default));
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        await GrantAsync("Shared/Projects", Permission.Read, GrantEffect.Deny);

        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
        var job = await WaitAsync(queued.Value);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("Nothing more was changed", job.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_harness.PathOf("Mine/Projects")));
    }

    [Fact]
    public async Task A_queued_delete_stops_when_its_owner_is_disabled()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        var queued = await OperationsAsync(ops => ops.DeleteAsync(_user, [IdOf("Shared/Team")], null, default));
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Users.Where(u => u.Id == _user.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsDisabled, true));
        }

        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
        var job = await WaitAsync(queued.Value);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("disabled", job.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(_harness.PathOf("Shared/Team/canary.txt")));
    }

    [Fact]
    public async Task New_folder_rename_and_batch_rename_queued_into_or_inside_a_denied_folder_are_refused_before_a_job()
    {
        var before = await SnapshotAsync();

        var created = await OperationsAsync<long>(sp => sp.GetRequiredService<EntryOperations>()
            .RequestCreateFolderAsync(_user, IdOf("Shared/HR"), "mine", null, default));
        var renamed = await OperationsAsync<long>(sp => sp.GetRequiredService<EntryOperations>()
            .RequestRenameAsync(_user, IdOf("Shared/HR/salaries.xlsx"), "open.xlsx", null, default));
        var folderRenamed = await OperationsAsync<long>(sp => sp.GetRequiredService<EntryOperations>()
            .RequestRenameAsync(_user, IdOf("Shared/Projects/Payroll"), "Open", null, default));
        var batch = await OperationsAsync<long>(sp => sp.GetRequiredService<BatchRenameOperations>()
            .RequestBatchRenameAsync(_user, IdOf("Shared/HR"), new BatchRenameRule { Prefix = "x_" }, [IdOf("Shared/HR/salaries.xlsx")], null, default));
        var batchOfDenied = await OperationsAsync<long>(sp => sp.GetRequiredService<BatchRenameOperations>()
            .RequestBatchRenameAsync(_user, IdOf("Shared/Projects"), new BatchRenameRule { Prefix = "x_" }, [IdOf("Shared/Projects/Payroll")], null, default));

        Assert.Equal(
            ["entry.not_found", "entry.not_found", "entry.not_found", "entry.not_found", "entry.not_found"],
            new[] { created, renamed, folderRenamed, batch, batchOfDenied }.Select(r => r.Error?.Code));
        Assert.Equal(before, await SnapshotAsync());
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(0, await db.Jobs.CountAsync(j => j.OwnerId == _user.UserId));
    }

    [Fact]
    public async Task Queued_new_folder_rename_and_batch_rename_stop_when_the_grant_is_revoked_before_they_run()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        var created = await OperationsAsync<long>(sp => sp.GetRequiredService<EntryOperations>()
            .RequestCreateFolderAsync(_user, IdOf("Shared/Drop"), "새 폴더", null, default));
        var renamed = await OperationsAsync<long>(sp => sp.GetRequiredService<EntryOperations>()
            .RequestRenameAsync(_user, IdOf("Shared/Projects/plan.txt"), "계획.txt", null, default));
        var batch = await OperationsAsync<long>(sp => sp.GetRequiredService<BatchRenameOperations>()
            .RequestBatchRenameAsync(_user, IdOf("Shared/Team"), new BatchRenameRule { Prefix = "x_" }, [IdOf("Shared/Team/canary.txt")], null, default));
        Assert.All(new[] { created, renamed, batch }, r => Assert.True(r.IsSuccess, r.Error?.ToString()));
        await GrantAsync("Shared", Permission.Write, GrantEffect.Deny);
        var before = await SnapshotAsync();

        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
        var jobs = new[] { await WaitAsync(created.Value), await WaitAsync(renamed.Value), await WaitAsync(batch.Value) };

        Assert.All(jobs, job => Assert.Equal((JobStatus.Failed, true), (job.Status, job.Error!.Contains("Nothing was", StringComparison.Ordinal))));
        Assert.Equal(before, await SnapshotAsync());
        Assert.True(File.Exists(_harness.PathOf("Shared/Team/canary.txt")));
        Assert.False(Directory.Exists(_harness.PathOf("Shared/Drop/새 폴더")));
    }

    [Fact]
    public async Task Queued_new_folder_rename_and_batch_rename_run_for_a_permitted_user_with_job_events()
    {
        var finished = new System.Collections.Concurrent.ConcurrentDictionary<long, JobStatus>();
        void OnChanged(JobEvent change)
        {
            if (change.IsFinished)
            {
                finished[change.Id] = change.Status;
            }
        }

        _harness.Get<JobEvents>().Changed += OnChanged;
        try
        {
            var created = await RunNameJobAsync(sp => sp.GetRequiredService<EntryOperations>().RequestCreateFolderAsync(_user, IdOf("Shared/Drop"), "새 폴더".Normalize(System.Text.NormalizationForm.FormD), null, default));
            var renamed = await RunNameJobAsync(sp => sp.GetRequiredService<EntryOperations>().RequestRenameAsync(_user, IdOf("Shared/Projects/plan.txt"), "계획.txt", null, default));
            var batch = await RunNameJobAsync(sp => sp.GetRequiredService<BatchRenameOperations>()
                .RequestBatchRenameAsync(_user, IdOf("Shared/Team"), new BatchRenameRule { Prefix = "x_" }, [IdOf("Shared/Team/canary.txt")], null, default));

            Assert.All(new[] { created, renamed, batch }, job => Assert.Equal(JobStatus.Succeeded, job.Status));
            Assert.Equal(IdOf("Shared/Drop/새 폴더"), created.ResultEntryId);
            Assert.True(Directory.Exists(_harness.PathOf("Shared/Drop/새 폴더")));
            Assert.True(File.Exists(_harness.PathOf("Shared/Projects/계획.txt")));
            Assert.Equal((1, 0), BatchRenameOperations.SummaryOf(batch) is { } s ? (s.Renamed, s.Failed.Count) : (-1, -1));
            Assert.Equal("inside", File.ReadAllText(_harness.PathOf("Shared/Team/x_canary.txt")));
            await _harness.AssertCatalogMatchesDiskAsync();
            await Poll.UntilAsync(() => Task.FromResult(new[] { created, renamed, batch }.All(j => finished.GetValueOrDefault(j.Id) == JobStatus.Succeeded)),
                "a finished event for each job");
        }
        finally
        {
            _harness.Get<JobEvents>().Changed -= OnChanged;
        }
    }

    private async Task<Job> RunNameJobAsync(Func<IServiceProvider, Task<Result<long>>> request)
    {
        var queued = await OperationsAsync(request);
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        return await WaitAsync(queued.Value);
    }

    public enum Swap
    {
        Move,
        Copy,
        Trash,
        Compress,
    }

    [Theory]
    [InlineData(Swap.Move)]
    [InlineData(Swap.Copy)]
    [InlineData(Swap.Trash)]
    [InlineData(Swap.Compress)]
    public async Task A_folder_swapped_for_a_link_out_of_the_root_after_the_scan_is_not_followed(Swap operation)
    {
        var canary = IdOf("Shared/Team/canary.txt");
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        var queued = await OperationsAsync<long>(async scope => operation switch
        {
            Swap.Move => await scope.GetRequiredService<FileOperations>().TransferAsync(_user, TransferKind.Move, [canary], IdOf("Shared/Drop"), ConflictChoice.Ask, null, default),
            Swap.Copy => await scope.GetRequiredService<FileOperations>().TransferAsync(_user, TransferKind.Copy, [canary], IdOf("Shared/Drop"), ConflictChoice.Ask, null, default),
            Swap.Trash => await scope.GetRequiredService<FileOperations>().DeleteAsync(_user, [canary], null, default),
            _ => await scope.GetRequiredService<CompressOperations>().CompressAsync(_user, [canary], "packed", ConflictChoice.Ask, null, default),
        });
        Assert.True(queued.IsSuccess, queued.Error?.ToString());
        SwapTeamForLinkOut();

        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
        var job = await WaitAsync(queued.Value);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(["canary.txt"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Equal("outside", File.ReadAllText(Path.Combine(_outside, "canary.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(_harness.PathOf("Shared/Drop")));
    }

    [Fact]
    public async Task A_restore_into_a_folder_swapped_for_a_link_out_of_the_root_is_not_followed()
    {
        var deleted = await RunAsync(ops => ops.DeleteAsync(_user, [IdOf("Shared/Team/canary.txt")], null, default));
        Assert.Equal(JobStatus.Succeeded, deleted.Status);
        SwapTeamForLinkOut();

        var restored = await RunAsync(async ops => (await ops.RestoreAsync(_user, await TrashIdsAsync(), ConflictChoice.Ask, null, default)).Value.Single());

        Assert.Equal(JobStatus.Failed, restored.Status);
        Assert.Equal(["canary.txt"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.Single(await TrashIdsAsync());
    }

    private void SwapTeamForLinkOut()
    {
        Directory.Move(_harness.PathOf("Shared/Team"), _harness.PathOf("Shared/Team-old"));
        File.CreateSymbolicLink(_harness.PathOf("Shared/Team"), _outside);
    }

    private async Task GrantAsync(string folder, Permission permissions, GrantEffect effect)
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            var existing = await db.FolderGrants.SingleOrDefaultAsync(g => g.RelativePath == folder && g.UserId == _user.UserId && g.Effect == effect);
            if (existing is null)
            {
                db.FolderGrants.Add(new FolderGrant
                {
                    RootId = _harness.RootId, RelativePath = folder, UserId = _user.UserId, Permissions = permissions, Effect = effect, CreatedAt = DateTimeOffset.UtcNow,
                });
            }
            else
            {
                existing.Permissions |= permissions;
            }

            await db.SaveChangesAsync();
        }

        await _harness.Get<AccessVersion>().BumpAsync();
    }

    private async Task RevokeAsync(string folder)
    {
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.FolderGrants.Where(g => g.RelativePath == folder).ExecuteDeleteAsync();
        }

        await _harness.Get<AccessVersion>().BumpAsync();
    }

    private async Task<string?> GrantPathOfAsync(Permission permission, GrantEffect effect, string under)
    {
        await using var db = _harness.Database.CreateDbContext();
        var paths = await db.FolderGrants.Where(g => g.UserId == _user.UserId && g.Effect == effect && (g.Permissions & permission) != 0)
            .Select(g => g.RelativePath).ToListAsync();
        return paths.SingleOrDefault(p => p.StartsWith(under + "/", StringComparison.Ordinal));
    }

    private async Task AssertUnreadableAsync(long entryId)
    {
        await using var scope = _harness.CreateScope();
        var listing = await scope.ServiceProvider.GetRequiredService<CatalogBrowser>().BrowseAsync(_user, new BrowseQuery(entryId), default);
        Assert.False(listing.IsSuccess, "the denied folder is listed under its new path");
    }

    /// <summary>Disk (paths, sizes), active catalog paths, and trash items: what an attack must leave as it was.</summary>
    private async Task<string> SnapshotAsync()
    {
        var disk = _harness.Disk().OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}:{d.Value.Kind}:{d.Value.Size}");
        var catalog = (await _harness.CatalogAsync()).Keys.Order(StringComparer.Ordinal);
        await using var db = _harness.Database.CreateDbContext();
        var trash = await db.TrashItems.Select(t => t.OriginalPath).OrderBy(p => p).ToListAsync();
        var grants = await db.FolderGrants.Select(g => g.RelativePath + ":" + g.Effect).OrderBy(p => p).ToListAsync();
        return string.Join("\n", disk.Concat(catalog).Concat(trash).Concat(grants));
    }

    private long IdOf(string relativePath)
    {
        using var db = _harness.Database.CreateDbContext();
        return db.Entries.Where(e => e.RootId == _harness.RootId && e.RelativePath == relativePath && e.State == EntryState.Active).Select(e => e.Id).Single();
    }

    private async Task<IReadOnlyList<long>> TrashIdsAsync()
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.TrashItems.Where(t => t.State == TrashItemState.InTrash).Select(t => t.Id).ToListAsync();
    }

    private Task<Result<T>> OperationsAsync<T>(Func<FileOperations, Task<Result<T>>> request) =>
        OperationsAsync<T>(scope => request(scope.GetRequiredService<FileOperations>()));

    private Task<Result<T>> OperationsAsync<T>(Func<TrashOperations, Task<Result<T>>> request) =>
        OperationsAsync<T>(scope => request(scope.GetRequiredService<TrashOperations>()));

    private async Task<Result<T>> OperationsAsync<T>(Func<IServiceProvider, Task<Result<T>>> request)
    {
        await using var scope = _harness.CreateScope();
        return await request(scope.ServiceProvider);
    }

    private Task<Job> RunAsync(Func<FileOperations, Task<Result<long>>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<FileOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<TrashOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> WaitAsync(long id) => _harness.WaitForJobAsync(id);
}
