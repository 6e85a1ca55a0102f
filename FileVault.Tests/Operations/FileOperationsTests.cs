using System.Security.Cryptography;
using System.Text;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>Move, copy, trash, restore and purge as jobs run by the real job runner, on a real disk, catalog and Redis.</summary>
public sealed class FileOperationsTests : IAsyncLifetime
{
    private static readonly string NfdName = "보고서.txt".Normalize(NormalizationForm.FormD);
    private ScanHarness _harness = default!;
    private AccessSubject _admin = default!;

    public static Dictionary<string, string?> RunnerSettings => new()
    {
        ["FileVault:Jobs:PollInterval"] = "00:00:00.200",
        ["FileVault:Jobs:HeartbeatInterval"] = "00:00:00.500",
        ["FileVault:Jobs:HeartbeatTimeout"] = "00:00:03",
    };

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "영업부", "2024"));
            File.WriteAllText(Path.Combine(root, "영업부", "2024", "회의록.txt"), "minutes");
            File.WriteAllText(Path.Combine(root, "영업부", "2024", NfdName), "nfd report");
            File.WriteAllText(Path.Combine(root, "영업부", "견적서.xlsx"), "quote");
            Directory.CreateDirectory(Path.Combine(root, "보관"));
            File.WriteAllText(Path.Combine(root, "보관", "견적서.xlsx"), "older quote");
            File.CreateSymbolicLink(Path.Combine(root, "영업부", "2024", "outside"), "/etc");
        }, RunnerSettings);
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
        _admin = await UserAsync(Roles.Admin);
        await _harness.Get<JobEvents>().StartAsync(CancellationToken.None);
        await _harness.Get<JobRunner>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _harness.Get<JobRunner>().StopAsync(CancellationToken.None);
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task A_folder_moves_by_rename_with_its_subtree_ids_and_descriptions()
    {
        var folder = await _harness.IdOfAsync("영업부/2024");
        var minutes = await _harness.IdOfAsync("영업부/2024/회의록.txt");
        await DescribeAsync(minutes, "3분기 회의");

        var archive = await _harness.IdOfAsync("보관");
        var job = await RunAsync(ops => ops.TransferAsync(_admin, TransferKind.Move, [folder], archive, ConflictChoice.Ask, null, default));

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.False(Directory.Exists(_harness.PathOf("영업부/2024")));
        Assert.Equal("minutes", File.ReadAllText(_harness.PathOf("보관/2024/회의록.txt")));
        Assert.True(File.Exists(_harness.PathOf("보관/2024/" + NfdName)));
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(minutes, catalog["보관/2024/회의록.txt"].Id);
        Assert.Equal("3분기 회의", catalog["보관/2024/회의록.txt"].Description);
        Assert.Equal(folder, catalog["보관/2024"].Id);
        Assert.Equal(await _harness.IdOfAsync("보관"), catalog["보관/2024"].ParentId);
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
        await AssertAuditedAsync("entry.move", "영업부/2024");
    }

    [Fact]
    public async Task A_folder_copies_whole_files_without_following_links_and_keeps_descriptions()
    {
        var minutes = await _harness.IdOfAsync("영업부/2024/회의록.txt");
        await DescribeAsync(minutes, "원본 설명");

        var job = await RunAsync(async ops => await ops.TransferAsync(_admin, TransferKind.Copy, [await _harness.IdOfAsync("영업부/2024")], await _harness.IdOfAsync("보관"), ConflictChoice.Ask, null, default));

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(Hash("영업부/2024/회의록.txt"), Hash("보관/2024/회의록.txt"));
        Assert.Equal(Hash("영업부/2024/" + NfdName), Hash("보관/2024/" + NfdName));
        Assert.False(File.Exists(_harness.PathOf("보관/2024/outside")), "links are not copied");
        Assert.Contains("\"linksSkipped\": 1", job.Summary, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_harness.Root, PathGuard.TemporaryPrefix + "*", SearchOption.AllDirectories));
        await _harness.AssertCatalogMatchesDiskAsync();
        var copy = (await _harness.CatalogAsync())["보관/2024/회의록.txt"];
        Assert.NotEqual(minutes, copy.Id);
        Assert.Equal("원본 설명", copy.Description);
        Assert.Equal(_admin.UserId, copy.UploadedById);
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
    }

    [Fact]
    public async Task A_name_conflict_asks_first_and_changes_nothing()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");
        var before = _harness.Disk();

        await using var scope = _harness.CreateScope();
        var ops = scope.ServiceProvider.GetRequiredService<FileOperations>();
        var result = await ops.TransferAsync(_admin, TransferKind.Move, [quote], await _harness.IdOfAsync("보관"), ConflictChoice.Ask, null, default);

        Assert.Equal("name.conflict", result.Error?.Code);
        Assert.Contains("견적서.xlsx", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(["견적서.xlsx"], (await ops.FindConflictsAsync(_admin, [quote], await _harness.IdOfAsync("보관"), default)).Value);
        Assert.Equal(before.Keys.Order(), _harness.Disk().Keys.Order());
    }

    [Fact]
    public async Task Keep_both_numbers_the_new_name_and_skip_leaves_it()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");
        var archive = await _harness.IdOfAsync("보관");

        var kept = await RunAsync(ops => ops.TransferAsync(_admin, TransferKind.Copy, [quote], archive, ConflictChoice.KeepBoth, null, default));
        var again = await RunAsync(ops => ops.TransferAsync(_admin, TransferKind.Copy, [quote], archive, ConflictChoice.KeepBoth, null, default));
        var skipped = await RunAsync(ops => ops.TransferAsync(_admin, TransferKind.Move, [quote], archive, ConflictChoice.Skip, null, default));

        Assert.True(kept.Status == JobStatus.Succeeded, kept.Error);
        Assert.Equal("quote", File.ReadAllText(_harness.PathOf("보관/견적서 (1).xlsx")));
        Assert.Equal("quote", File.ReadAllText(_harness.PathOf("보관/견적서 (2).xlsx")));
        Assert.Equal("older quote", File.ReadAllText(_harness.PathOf("보관/견적서.xlsx")));
        Assert.True(again.Status == JobStatus.Succeeded, again.Error);
        Assert.Contains("견적서.xlsx", skipped.Summary, StringComparison.Ordinal);
        Assert.True(File.Exists(_harness.PathOf("영업부/견적서.xlsx")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task Replace_sends_the_old_file_to_the_trash_where_it_can_be_restored()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");
        var old = await _harness.IdOfAsync("보관/견적서.xlsx");

        var archive = await _harness.IdOfAsync("보관");
        var job = await RunAsync(ops => ops.TransferAsync(_admin, TransferKind.Move, [quote], archive, ConflictChoice.Replace, null, default));

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal("quote", File.ReadAllText(_harness.PathOf("보관/견적서.xlsx")));
        var trashed = Assert.Single(await TrashAsync());
        Assert.Equal(("보관/견적서.xlsx", old), (trashed.OriginalPath, await TrashEntryIdAsync(trashed.Id)));
        Assert.Equal("older quote", File.ReadAllText(_harness.PathOf($".filevault-trash/{trashed.Id}/견적서.xlsx")));
        await _harness.AssertCatalogMatchesDiskAsync();

        var restored = await RunAsync(async ops => (await ops.RestoreAsync(_admin, [trashed.Id], ConflictChoice.KeepBoth, null, default)).Value.Single());
        Assert.True(restored.Status == JobStatus.Succeeded, restored.Error);
        Assert.Equal("older quote", File.ReadAllText(_harness.PathOf("보관/견적서 (1).xlsx")));
        Assert.Equal(old, (await _harness.CatalogAsync())["보관/견적서 (1).xlsx"].Id);
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task Delete_moves_to_the_trash_and_restore_brings_back_ids_descriptions_and_missing_parents()
    {
        var folder = await _harness.IdOfAsync("영업부/2024");
        var minutes = await _harness.IdOfAsync("영업부/2024/회의록.txt");
        await DescribeAsync(minutes, "지켜야 할 설명");

        var deleted = await RunAsync(async ops => await ops.DeleteAsync(_admin, [folder, minutes], null, default));

        Assert.True(deleted.Status == JobStatus.Succeeded, deleted.Error);
        Assert.False(Directory.Exists(_harness.PathOf("영업부/2024")));
        var item = Assert.Single(await TrashAsync());
        Assert.Equal(("영업부/2024", EntryKind.Directory, 4), (item.OriginalPath, item.Kind, item.EntryCount)); // the folder, two files and a link
        await _harness.AssertCatalogMatchesDiskAsync();
        var scan = await _harness.ScanAsync(ScanKind.Full);
        Assert.Equal((0, 0), (scan.Added, scan.Missing));

        // The parent goes too, for good: restore makes it again.
        var parentId = await _harness.IdOfAsync("영업부");
        await RunAsync(async ops => await ops.DeleteAsync(_admin, [parentId], null, default));
        var parentItem = (await TrashAsync()).Single(t => t.Id != item.Id);
        await RunAsync(async ops => (await ops.PurgeAsync(_admin, [parentItem.Id], default)).Value.Single());
        Assert.False(Directory.Exists(_harness.PathOf("영업부")));
        var restored = await RunAsync(async ops => (await ops.RestoreAsync(_admin, [item.Id], ConflictChoice.Ask, null, default)).Value.Single());

        Assert.True(restored.Status == JobStatus.Succeeded, restored.Error);
        Assert.Equal("minutes", File.ReadAllText(_harness.PathOf("영업부/2024/회의록.txt")));
        var catalog = await _harness.CatalogAsync();
        Assert.Equal((folder, minutes), (catalog["영업부/2024"].Id, catalog["영업부/2024/회의록.txt"].Id));
        Assert.Equal("지켜야 할 설명", catalog["영업부/2024/회의록.txt"].Description);
        Assert.Empty(await TrashAsync());
        await _harness.AssertCatalogMatchesDiskAsync();
        await AssertAuditedAsync("entry.restore", "영업부/2024");
    }

    [Fact]
    public async Task Purge_deletes_files_and_rows_for_good_and_only_the_owner_or_an_admin_may()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");
        await RunAsync(async ops => await ops.DeleteAsync(_admin, [quote], null, default));
        var item = Assert.Single(await TrashAsync());
        var stranger = await UserAsync(Roles.User);

        await using (var scope = _harness.CreateScope())
        {
            var refused = await scope.ServiceProvider.GetRequiredService<TrashOperations>().PurgeAsync(stranger, [item.Id], default);
            Assert.Equal("trash.not_found", refused.Error?.Code);
        }

        var purged = await RunAsync(async ops => (await ops.PurgeAsync(_admin, null, default)).Value.Single());

        Assert.True(purged.Status == JobStatus.Succeeded, purged.Error);
        Assert.False(Directory.Exists(_harness.PathOf($".filevault-trash/{item.Id}")));
        await using var db = _harness.Database.CreateDbContext();
        Assert.False(await db.Entries.AnyAsync(e => e.Id == quote));
        Assert.Empty(await TrashAsync());
    }

    [Fact]
    public async Task Bad_requests_are_refused_before_a_job_exists()
    {
        var folder = await _harness.IdOfAsync("영업부");
        var reader = await HarnessUsers.WithGrantAsync(_harness, "", Permission.Read);
        await using var scope = _harness.CreateScope();
        var ops = scope.ServiceProvider.GetRequiredService<FileOperations>();

        Assert.Equal("transfer.into_itself", (await ops.TransferAsync(_admin, TransferKind.Move, [folder], await _harness.IdOfAsync("영업부/2024"), ConflictChoice.Ask, null, default)).Error?.Code);
        Assert.Equal("transfer.same_folder", (await ops.TransferAsync(_admin, TransferKind.Move, [await _harness.IdOfAsync("영업부/2024")], folder, ConflictChoice.Ask, null, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await ops.TransferAsync(reader, TransferKind.Move, [await _harness.IdOfAsync("영업부/견적서.xlsx")], await _harness.IdOfAsync("보관"), ConflictChoice.KeepBoth, null, default)).Error?.Code);
        Assert.Equal("auth.forbidden", (await ops.DeleteAsync(reader, [folder], null, default)).Error?.Code);
        Assert.Equal("entry.not_found", (await ops.DeleteAsync(_admin, [folder, 987654321], null, default)).Error?.Code);
        Assert.Equal("operation.selection", (await ops.DeleteAsync(_admin, [], null, default)).Error?.Code);
        await using var db = _harness.Database.CreateDbContext();
        Assert.False(await db.Jobs.AnyAsync());
    }

    [Fact]
    public async Task A_path_in_use_refuses_the_request_at_once_naming_the_holder()
    {
        var locks = _harness.Get<ResourceLocks>();
        await using var held = (await locks.AcquireAsync(new LockRequest(_harness.RootId, ["보관/2024"], "copy", "kim@corp"), TimeSpan.FromSeconds(30), default)).Value;
        await using var scope = _harness.CreateScope();
        var ops = scope.ServiceProvider.GetRequiredService<FileOperations>();

        var result = await ops.TransferAsync(_admin, TransferKind.Move, [await _harness.IdOfAsync("영업부/2024")], await _harness.IdOfAsync("보관"), ConflictChoice.Ask, null, default);

        Assert.Equal("lock.conflict", result.Error?.Code);
        Assert.Contains("copy of kim@corp", result.Error!.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(_harness.PathOf("영업부/2024")));
    }

    [Fact]
    public async Task Two_moves_of_the_same_folder_at_once_make_one_job()
    {
        var folder = await _harness.IdOfAsync("영업부/2024");
        var archive = await _harness.IdOfAsync("보관");
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var scope = _harness.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<FileOperations>().TransferAsync(_admin, TransferKind.Move, [folder], archive, ConflictChoice.Ask, null, default);
        }));

        var winner = Assert.Single(results, r => r.IsSuccess);
        // A loser that asks while the winner holds the locks hears lock.conflict; one so slow that the winner's move is
        // already done finds the name taken in the archive, or the folder already there. Either way: one job, one move.
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.True(r.Error?.Code is "lock.conflict" or "transfer.same_folder" or "name.conflict", r.Error?.ToString()));
        await using (var db = _harness.Database.CreateDbContext())
        {
            Assert.Equal(1, await db.Jobs.CountAsync(j => j.Type == "move"));
        }

        Assert.Equal(JobStatus.Succeeded, (await WaitAsync(winner.Value)).Status);
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task The_same_idempotency_key_makes_one_job()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");
        await using var scope = _harness.CreateScope();
        var ops = scope.ServiceProvider.GetRequiredService<FileOperations>();

        var first = await ops.DeleteAsync(_admin, [quote], "click-1", default);
        await WaitAsync(first.Value);
        var second = await ops.DeleteAsync(_admin, [quote], "click-1", default);

        Assert.Equal(first.Value, second.Value);
        Assert.Single(await TrashAsync());
    }

    private async Task<long> TrashEntryIdAsync(long trashId)
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.TrashItems.Where(t => t.Id == trashId).Select(t => t.EntryId).SingleAsync();
    }

    private Task<IReadOnlyList<TrashListItem>> TrashAsync() => _harness.Get<TrashQueries>().ListAsync(_admin, default);

    private string Hash(string relative) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(_harness.PathOf(relative))));

    private async Task DescribeAsync(long id, string text)
    {
        await using var scope = _harness.CreateScope();
        Assert.True((await scope.ServiceProvider.GetRequiredService<EntryService>().UpdateDescriptionAsync(_admin, id, text, default)).IsSuccess);
    }

    private async Task AssertAuditedAsync(string action, string path)
    {
        await using var db = _harness.Database.CreateDbContext();
        Assert.True(await db.AuditLog.AnyAsync(a => a.Action == action && a.Target.EndsWith("/" + path)), $"no {action} of {path}");
    }

    // With a role row, as sign-up makes it: a job asks its owner's current roles before each step.
    private Task<AccessSubject> UserAsync(string role) => HarnessUsers.CreateAsync(_harness, $"{Guid.NewGuid()}@t", role);

    private Task<Job> RunAsync(Func<FileOperations, Task<Result<long>>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<FileOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> RunAsync(Func<TrashOperations, Task<long>> request) => _harness.RunJobAsync(request);

    private Task<Job> WaitAsync(long id) => _harness.WaitForJobAsync(id);
}
