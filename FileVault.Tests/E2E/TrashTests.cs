using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// A person deletes files (through Core, carried out by the app's own job runner), finds them on the Trash page, and
/// restores them — asked first when the name is taken again — or deletes them for good.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TrashTests(BrowserFixture browser, KestrelAppFactory app) : IClassFixture<KestrelAppFactory>, IAsyncLifetime
{
    private const string Folder = "영업부";
    private const string Email = "trash.user@filevault.test";
    private int _rootId;
    private string _rootName = "";
    private AccessSubject _user = default!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, Folder));
        foreach (var name in new[] { "견적서.xlsx", "회의록.txt", "계약서.pdf", "메모.txt" })
        {
            await File.WriteAllTextAsync(Path.Combine(app.StorageDirectory, Folder, name), "원본 " + name);
        }

        await using (var db = app.Database.CreateDbContext())
        {
            var root = await db.StorageRoots.SingleAsync();
            (_rootId, _rootName) = (root.Id, root.Name);
        }

        await ScanAsync();
        if (await FindUserAsync() is not { } id)
        {
            var user = await app.CreateUserAsync(Email, Roles.User);
            id = user.Id;
            await using var scope = app.Services.CreateAsyncScope();
            var admin = AccessSubject.Create(Guid.NewGuid(), [Roles.SuperAdmin]);
            var granted = await scope.ServiceProvider.GetRequiredService<GrantService>().CreateAsync(admin,
                new NewGrant(_rootId, Folder, id, null, Permission.Read | Permission.Write | Permission.Delete, GrantEffect.Allow), CancellationToken.None);
            Assert.True(granted.IsSuccess, granted.Error?.ToString());
        }

        _user = AccessSubject.Create(id, [Roles.User]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_deleted_file_is_found_in_the_trash_and_restored_to_its_folder()
    {
        await DeleteAsync("견적서.xlsx");
        Assert.False(File.Exists(PathOf("견적서.xlsx")));

        var page = await SignedInAsync();
        await page.GotoAsync("/trash");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = Row(page, "견적서.xlsx");
        await Assertions.Expect(row).ToContainTextAsync($"{_rootName} / {Folder}");
        await BrowserFixture.ScreenshotAsync(page, "trash-ko");

        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#trash-status")).ToHaveTextAsync("1개 선택됨");
        await page.ClickAsync("#trash-restore");

        // The list follows the restore job's end by itself, re-rendered from the job's thread still in Korean.
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#trash-title")).ToHaveTextAsync("휴지통");
        Assert.Equal("원본 견적서.xlsx", await File.ReadAllTextAsync(PathOf("견적서.xlsx")));
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await Assertions.Expect(page.Locator("#entry-rows [data-entry-id]").Filter(new() { HasText = "견적서.xlsx" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_restore_onto_a_taken_name_asks_and_keep_both_restores_it_numbered()
    {
        await DeleteAsync("회의록.txt");
        await File.WriteAllTextAsync(PathOf("회의록.txt"), "새로 만든 회의록");
        await ScanAsync();

        var page = await SignedInAsync();
        await page.GotoAsync("/trash");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = Row(page, "회의록.txt");
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#trash-status")).ToHaveTextAsync("1개 선택됨");
        await page.ClickAsync("#trash-restore");

        await Assertions.Expect(page.Locator("#conflict-names")).ToContainTextAsync("회의록.txt");
        await page.ClickAsync("#conflict-keep-both");

        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.Equal("원본 회의록.txt", await File.ReadAllTextAsync(PathOf("회의록 (1).txt")));
        Assert.Equal("새로 만든 회의록", await File.ReadAllTextAsync(PathOf("회의록.txt")));
        await using var db = app.Database.CreateDbContext();
        Assert.True(await db.Entries.AnyAsync(e => e.RootId == _rootId && e.RelativePath == Folder + "/회의록 (1).txt" && e.State == EntryState.Active));
    }

    [Fact]
    public async Task Delete_permanently_names_what_goes_and_removes_the_bytes_from_the_trash_area()
    {
        await DeleteAsync("계약서.pdf");
        long trashId;
        await using (var db = app.Database.CreateDbContext())
        {
            trashId = await db.TrashItems.Where(t => t.Name == "계약서.pdf").Select(t => t.Id).SingleAsync();
        }

        var trashFolder = Path.Combine(app.StorageDirectory, PathGuard.TrashDirectoryName, trashId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("원본 계약서.pdf", await File.ReadAllTextAsync(Path.Combine(trashFolder, "계약서.pdf")));

        var page = await SignedInAsync();
        await page.GotoAsync("/trash");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = Row(page, "계약서.pdf");
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#trash-status")).ToHaveTextAsync("1개 선택됨");
        await page.ClickAsync("#trash-purge");

        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("\"계약서.pdf\"");
        await Assertions.Expect(dialog).ToContainTextAsync("되돌릴 수 없습니다");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "영구 삭제" }).ClickAsync();

        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.False(Directory.Exists(trashFolder));
        await using (var db = app.Database.CreateDbContext())
        {
            Assert.False(await db.TrashItems.AnyAsync(t => t.Id == trashId));
        }
    }

    [Fact]
    public async Task A_user_made_read_only_sees_their_trash_but_no_way_to_restore_or_purge()
    {
        const string email = "made.reader@filevault.test";
        var reader = await app.CreateUserAsync(email, Roles.User);
        var admin = AccessSubject.Create(Guid.NewGuid(), [Roles.SuperAdmin]);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var grants = scope.ServiceProvider.GetRequiredService<GrantService>();
            var grant = await grants.CreateAsync(admin,
                new NewGrant(_rootId, Folder, reader.Id, null, Permission.Read | Permission.Write | Permission.Delete, GrantEffect.Allow), CancellationToken.None);
            await DeleteAsync("메모.txt", AccessSubject.Create(reader.Id, [Roles.User]));
            Assert.True((await grants.UpdateAsync(admin, grant.Value.Id, Permission.Read, GrantEffect.Allow, CancellationToken.None)).IsSuccess);
        }

        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, email, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        await page.GotoAsync("/trash");
        await BrowserFixture.WaitForInteractiveAsync(page);

        await Assertions.Expect(Row(page, "메모.txt")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#trash-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#trash-restore")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#trash-purge")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#trash-empty-all")).ToHaveCountAsync(0);
    }

    private static ILocator Row(IPage page, string name) => page.Locator("#trash-table tbody tr").Filter(new() { HasText = name });

    private string PathOf(string name) => Path.Combine(app.StorageDirectory, Folder, name);


    private async Task<IPage> SignedInAsync()
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, Email, FileVaultAppFactory.UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/files$"), new() { Timeout = 30_000 });
        return page;
    }

    private async Task ScanAsync()
    {
        var run = await app.Services.GetRequiredService<Scanner>().RunAsync(_rootId, ScanKind.Full, "test", CancellationToken.None);
        Assert.Equal(ScanStatus.Completed, run.Status);
    }

    private async Task<Guid?> FindUserAsync()
    {
        await using var db = app.Database.CreateDbContext();
        return await db.Users.Where(u => u.Email == Email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync();
    }

    /// <summary>Moves a file of the folder to the trash as the user would from the file browser, and waits for the app's runner to do it.</summary>
    private async Task DeleteAsync(string name, AccessSubject? actor = null)
    {
        long entryId;
        await using (var db = app.Database.CreateDbContext())
        {
            entryId = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == Folder + "/" + name && e.State == EntryState.Active)
                .Select(e => e.Id).SingleAsync();
        }

        await using var scope = app.Services.CreateAsyncScope();
        var job = await scope.ServiceProvider.GetRequiredService<FileOperations>().DeleteAsync(actor ?? _user, [entryId], null, CancellationToken.None);
        Assert.True(job.IsSuccess, job.Error?.ToString());
        var ledger = app.Services.GetRequiredService<JobLedger>();
        for (var i = 0; i < 300; i++)
        {
            if (await ledger.GetAsync(job.Value, CancellationToken.None) is { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled } done)
            {
                Assert.True(done.Status == JobStatus.Succeeded, done.Error);
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The delete job {job.Value} did not finish.");
    }
}
