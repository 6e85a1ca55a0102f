using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Operations;

/// <summary>New folder and rename on a real disk, catalog and Redis, as an admin and as users with grants.</summary>
public sealed class EntryOperationsTests : IAsyncLifetime
{
    private static readonly AccessSubject Admin = AccessSubject.Create(Guid.NewGuid(), [Roles.Admin]);
    private ScanHarness _harness = default!;

    public async Task InitializeAsync()
    {
        _harness = await ScanHarness.CreateAsync(root =>
        {
            Directory.CreateDirectory(Path.Combine(root, "영업부", "2024"));
            File.WriteAllText(Path.Combine(root, "영업부", "2024", "회의록.txt"), "minutes");
            File.WriteAllText(Path.Combine(root, "영업부", "견적서.xlsx"), "quote");
            File.CreateSymbolicLink(Path.Combine(root, "영업부", "dangling"), "/nonexistent/target");
        });
        Assert.Equal(ScanStatus.Completed, (await _harness.ScanAsync(ScanKind.Full)).Status);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_new_folder_is_created_in_nfc_on_disk_and_in_the_catalog()
    {
        var parent = await _harness.IdOfAsync("영업부");
        var nfd = "새 폴더".Normalize(NormalizationForm.FormD);

        var created = await CreateFolderAsync(Admin, parent, nfd);

        Assert.True(created.IsSuccess, created.Error?.ToString());
        Assert.True(Directory.Exists(_harness.PathOf("영업부/새 폴더")));
        Assert.Contains("새 폴더", Directory.GetDirectories(_harness.PathOf("영업부")).Select(Path.GetFileName));
        await _harness.AssertCatalogMatchesDiskAsync();
        var entry = (await _harness.CatalogAsync())["영업부/새 폴더"];
        Assert.Equal((created.Value, parent, EntryKind.Directory), (entry.Id, entry.ParentId!.Value, entry.Kind));
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
    }

    [Fact]
    public async Task A_change_inside_a_folder_moves_the_stamp_that_open_pages_poll()
    {
        var parent = await _harness.IdOfAsync("영업부");
        await using var scope = _harness.CreateScope();
        var browser = scope.ServiceProvider.GetRequiredService<CatalogBrowser>();
        var before = await browser.FolderStampAsync(Admin, parent, CancellationToken.None);
        Assert.NotNull(before);
        // Directory times have a resolution of the file system's clock tick; make sure the next change is later.
        await Task.Delay(20);

        Assert.True((await CreateFolderAsync(Admin, parent, "새 폴더")).IsSuccess);

        Assert.NotEqual(before, await browser.FolderStampAsync(Admin, parent, CancellationToken.None));
        var stranger = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
        Assert.Null(await browser.FolderStampAsync(stranger, parent, CancellationToken.None));
        Assert.Null(await browser.FolderStampAsync(Admin, await _harness.IdOfAsync("영업부/견적서.xlsx"), CancellationToken.None));
    }

    [Theory]
    [InlineData("..", "path.dot_component")]
    [InlineData("a/b", "path.separator_in_name")]
    [InlineData("CON", "path.reserved_name")]
    [InlineData("report.", "path.reserved_name")]
    [InlineData(".filevault-trash", "path.reserved_name")]
    [InlineData("tab\there", "path.control_character")]
    [InlineData("견적서.XLSX", "name.conflict")]
    [InlineData("dangling", "name.conflict")]
    public async Task Bad_or_taken_names_are_refused_and_nothing_is_created(string name, string code)
    {
        var before = _harness.Disk();

        var result = await CreateFolderAsync(Admin, await _harness.IdOfAsync("영업부"), name);

        Assert.Equal(code, result.Error?.Code);
        Assert.Equal(before.Keys.Order(), _harness.Disk().Keys.Order());
    }

    [Fact]
    public async Task A_name_over_255_bytes_after_nfc_is_refused_with_its_length()
    {
        var result = await CreateFolderAsync(Admin, await _harness.IdOfAsync("영업부"), new string('가', 86));

        Assert.Equal("path.name_too_long", result.Error?.Code);
        Assert.Contains("258", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_need_write_on_the_folder_and_cannot_learn_of_folders_they_cannot_read()
    {
        var reader = await HarnessUsers.WithGrantAsync(_harness, "영업부", Permission.Read);
        var stranger = AccessSubject.Create(Guid.NewGuid(), [Roles.User]);
        var writer = await HarnessUsers.WithGrantAsync(_harness, "영업부", Permission.Read | Permission.Write);
        var parent = await _harness.IdOfAsync("영업부");

        Assert.Equal("auth.forbidden", (await CreateFolderAsync(reader, parent, "읽기만")).Error?.Code);
        Assert.Equal("entry.not_found", (await CreateFolderAsync(stranger, parent, "몰래")).Error?.Code);
        Assert.True((await CreateFolderAsync(writer, parent, "쓰기 가능")).IsSuccess);
        Assert.False(Directory.Exists(_harness.PathOf("영업부/읽기만")));
        Assert.False(Directory.Exists(_harness.PathOf("영업부/몰래")));
    }

    [Fact]
    public async Task Writes_to_an_unhealthy_root_are_refused()
    {
        File.Delete(_harness.PathOf(StorageRootRegistry.MarkerFileName));

        var result = await CreateFolderAsync(Admin, await _harness.IdOfAsync("영업부"), "빈 마운트");

        Assert.Equal("root.unhealthy", result.Error?.Code);
        Assert.False(Directory.Exists(_harness.PathOf("영업부/빈 마운트")));
    }

    [Fact]
    public async Task A_locked_folder_refuses_changes_inside_it_with_who_holds_it()
    {
        var locks = _harness.Get<ResourceLocks>();
        await using var held = (await locks.AcquireAsync(new LockRequest(_harness.RootId, ["영업부"], "move", "kim@corp"), TimeSpan.FromSeconds(30), CancellationToken.None)).Value;

        var result = await CreateFolderAsync(Admin, await _harness.IdOfAsync("영업부"), "잠김");

        Assert.Equal("lock.conflict", result.Error?.Code);
        Assert.Contains("move of kim@corp", result.Error!.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_harness.PathOf("영업부/잠김")));
    }

    [Fact]
    public async Task The_same_request_twice_creates_one_folder()
    {
        var parent = await _harness.IdOfAsync("영업부");
        await using var scope = _harness.CreateScope();
        var operations = scope.ServiceProvider.GetRequiredService<EntryOperations>();

        var first = await operations.CreateFolderAsync(Admin, parent, "한 번만", "click-7", CancellationToken.None);
        var again = await operations.CreateFolderAsync(Admin, parent, "한 번만", "click-7", CancellationToken.None);

        Assert.Equal(first.Value, again.Value);
        await using var db = _harness.Database.CreateDbContext();
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.IdempotencyKey == "click-7" && j.Status == JobStatus.Succeeded));
    }

    [Fact]
    public async Task Renaming_a_folder_moves_it_on_disk_and_its_whole_subtree_in_the_catalog_keeping_metadata()
    {
        var folder = await _harness.IdOfAsync("영업부/2024");
        var minutes = await _harness.IdOfAsync("영업부/2024/회의록.txt");
        await using (var db = _harness.Database.CreateDbContext())
        {
            await db.Entries.Where(e => e.Id == minutes).ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, "3월 회의"));
        }

        var renamed = await RenameAsync(Admin, folder, "2024년");

        Assert.True(renamed.IsSuccess, renamed.Error?.ToString());
        Assert.True(File.Exists(_harness.PathOf("영업부/2024년/회의록.txt")));
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(minutes, catalog["영업부/2024년/회의록.txt"].Id);
        Assert.Equal("3월 회의", catalog["영업부/2024년/회의록.txt"].Description);
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
    }

    [Fact]
    public async Task A_case_only_rename_is_allowed_but_renaming_onto_a_sibling_is_not()
    {
        var quote = await _harness.IdOfAsync("영업부/견적서.xlsx");

        Assert.True((await RenameAsync(Admin, quote, "견적서.XLSX")).IsSuccess);
        Assert.Equal("name.conflict", (await RenameAsync(Admin, quote, "2024")).Error?.Code);
        Assert.True(File.Exists(_harness.PathOf("영업부/견적서.XLSX")));
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    private async Task<FileVault.Core.Result<long>> CreateFolderAsync(AccessSubject actor, long parent, string name)
    {
        await using var scope = _harness.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<EntryOperations>().CreateFolderAsync(actor, parent, name, null, CancellationToken.None);
    }

    private async Task<FileVault.Core.Result<long>> RenameAsync(AccessSubject actor, long entry, string name)
    {
        await using var scope = _harness.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<EntryOperations>().RenameAsync(actor, entry, name, null, CancellationToken.None);
    }
}
