using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Uploads;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FileVault.Tests.E2E;

/// <summary>
/// The app with a small largest-file limit, so that a test can pass it without gigabytes, and a chunk size of its own
/// (not the default), so that a page that did not take the server's FileVault-Chunk-Size would fail the offsets below.
/// </summary>
public sealed class UploadBrowserApp : KestrelAppFactory
{
    public const long MaxSizeBytes = 24L * 1024 * 1024;
    public const int ChunkBytes = 3 * 1024 * 1024;

    public UploadBrowserApp()
    {
        Settings["FileVault:Uploads:MaxSizeBytes"] = MaxSizeBytes.ToString(CultureInfo.InvariantCulture);
        Settings["FileVault:Uploads:ChunkBytes"] = ChunkBytes.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Uploading in Chromium, through the page's own tus-js-client: a folder dropped onto the list or picked through the
/// folder input lands whole (structure, Korean NFC and NFD names, an empty folder) with the SHA-256 the browser computed;
/// cancel keeps nothing; a read-only user has no Upload button and the API refuses them; a file over the limit never
/// leaves the browser.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class UploadBrowserTests(BrowserFixture browser, UploadBrowserApp app) : IClassFixture<UploadBrowserApp>, IAsyncLifetime
{
    // xunit runs InitializeAsync before every test, on one app per class: each test uploads into a folder of its own.
    private readonly string Folder = "업로드 " + Guid.NewGuid().ToString("N")[..6];
    private int _rootId;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(app.StorageDirectory, Folder, "기존 폴더"));
        await File.WriteAllTextAsync(Path.Combine(app.StorageDirectory, Folder, "기존 폴더", "안쪽.txt"), "안쪽에 있던 파일");
        await File.WriteAllTextAsync(Path.Combine(app.StorageDirectory, Folder, "있던 파일.txt"), "이미 있던 파일");
        _rootId = await app.ScanStorageAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_folder_dropped_onto_the_list_lands_whole_with_its_names_empty_folder_and_browser_computed_sha256()
    {
        var (page, rows) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var sentHashes = new List<string>();
        page.Request += (_, request) =>
        {
            // A file of one chunk goes whole with its creation (POST), a bigger one's digest with its last PATCH.
            if (request.Method is "PATCH" or "POST" && request.Headers.TryGetValue("filevault-sha256", out var hash))
            {
                lock (sentHashes)
                {
                    sentHashes.Add(hash);
                }
            }
        };
        var nfd = "한글 맥 파일.txt".Normalize(NormalizationForm.FormD);
        // Under the app's 24 MiB limit; one file is empty (tus-js-client sends no PATCH for it by itself).
        var files = new (string Path, int Size, int Seed)[]
        {
            ("보고서 모음/회의록.txt", 300_000, 1), ("보고서 모음/" + nfd, 2_000, 2), ("보고서 모음/하위/깊은 파일.bin", 3_000_000, 3),
            ("보고서 모음/하위/빈 파일.txt", 0, 4), ("메모.txt", 1_000, 5),
        };

        await DropAsync(page, "#entry-rows", files, emptyFolders: ["보고서 모음/빈 폴더"]);

        var panel = page.Locator("#upload-panel");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#upload-overall")).ToBeVisibleAsync();
        await Assertions.Expect(panel.Locator(".fv-upload-row")).ToHaveCountAsync(files.Length);
        await Assertions.Expect(panel.Locator(".fv-upload-row[data-status='done']")).ToHaveCountAsync(files.Length, new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#upload-summary")).ToContainTextAsync($"{files.Length}개 중 {files.Length}개 완료");
        // The open folder shows what arrived without a reload.
        await Assertions.Expect(Row(rows, "보고서 모음")).ToBeVisibleAsync();
        await Assertions.Expect(Row(rows, "메모.txt")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "upload-panel-ko");

        await using var db = app.Database.CreateDbContext();
        foreach (var (path, size, seed) in files)
        {
            var stored = Folder + "/" + path.Normalize(NormalizationForm.FormC);
            var bytes = Bytes(size, seed);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(app.StorageDirectory, stored)));
            var hash = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == stored && e.State == EntryState.Active).Select(e => e.ContentHash).SingleAsync();
            Assert.Equal(SHA256.HashData(bytes), hash);
            lock (sentHashes)
            {
                Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(bytes)), sentHashes);
            }
        }

        Assert.True(Directory.Exists(Path.Combine(app.StorageDirectory, Folder, "보고서 모음", "빈 폴더")));
        Assert.True(await db.Entries.AnyAsync(e => e.RootId == _rootId && e.RelativePath == Folder + "/보고서 모음/빈 폴더" && e.Kind == EntryKind.Directory));
    }

    [Fact]
    public async Task A_folder_picked_through_the_folder_input_uploads_its_files_under_their_paths()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var picked = Directory.CreateTempSubdirectory("filevault-pick-").FullName;
        var top = Path.Combine(picked, "사진첩");
        Directory.CreateDirectory(Path.Combine(top, "2026 여름"));
        var nfd = "가족 사진.jpg".Normalize(NormalizationForm.FormD);
        await File.WriteAllBytesAsync(Path.Combine(top, nfd), Bytes(50_000, 7));
        await File.WriteAllBytesAsync(Path.Combine(top, "2026 여름", "바다.jpg"), Bytes(120_000, 8));
        await Assertions.Expect(page.Locator("#upload-menu")).ToBeVisibleAsync();

        await page.Locator("#upload-folder-input").SetInputFilesAsync(top);

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='done']")).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        Assert.Equal(Bytes(50_000, 7), await File.ReadAllBytesAsync(Path.Combine(app.StorageDirectory, Folder, "사진첩", "가족 사진.jpg")));
        Assert.Equal(Bytes(120_000, 8), await File.ReadAllBytesAsync(Path.Combine(app.StorageDirectory, Folder, "사진첩", "2026 여름", "바다.jpg")));
        Directory.Delete(picked, recursive: true);
    }

    [Fact]
    public async Task A_taken_name_asks_first_and_keep_both_saves_the_upload_beside_it()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        await DropAsync(page, "#entry-rows", [("있던 파일.txt", 500, 9)], emptyFolders: []);
        await Assertions.Expect(page.Locator("#upload-conflict-names")).ToContainTextAsync("있던 파일.txt");
        await page.ClickAsync("#upload-conflict-keep-all");

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='done']")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        Assert.Equal(Bytes(500, 9), await File.ReadAllBytesAsync(Path.Combine(app.StorageDirectory, Folder, "있던 파일 (1).txt")));
        Assert.Equal("이미 있던 파일", await File.ReadAllTextAsync(Path.Combine(app.StorageDirectory, Folder, "있던 파일.txt")));
    }

    [Fact]
    public async Task Taken_names_inside_a_dropped_folder_ask_first_and_each_file_gets_its_own_choice_replace_or_keep_both()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        await DropAsync(page, "#entry-rows", [("있던 파일.txt", 600, 11), ("기존 폴더/안쪽.txt", 700, 12), ("기존 폴더/새 파일.txt", 800, 13)], emptyFolders: []);
        var top = page.Locator("[data-name='있던 파일.txt'] input[type=radio]");
        var inner = page.Locator("[data-name='기존 폴더/안쪽.txt'] input[type=radio]");
        await Assertions.Expect(top).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#upload-conflict-names [data-name]")).ToHaveCountAsync(2);
        await top.Nth(2).ClickAsync();
        await inner.Nth(1).ClickAsync();
        await page.ClickAsync("#upload-conflict-as-chosen");

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='done']")).ToHaveCountAsync(3, new() { Timeout = 60_000 });
        var folder = Path.Combine(app.StorageDirectory, Folder);
        Assert.Equal(Bytes(600, 11), await File.ReadAllBytesAsync(Path.Combine(folder, "있던 파일.txt")));
        Assert.Equal(Bytes(700, 12), await File.ReadAllBytesAsync(Path.Combine(folder, "기존 폴더", "안쪽 (1).txt")));
        Assert.Equal("안쪽에 있던 파일", await File.ReadAllTextAsync(Path.Combine(folder, "기존 폴더", "안쪽.txt")));
        Assert.Equal(Bytes(800, 13), await File.ReadAllBytesAsync(Path.Combine(folder, "기존 폴더", "새 파일.txt")));
        await using var db = app.Database.CreateDbContext();
        Assert.Single(await db.TrashItems.Where(t => t.OriginalPath == Folder + "/있던 파일.txt").ToListAsync());
    }

    [Fact]
    public async Task A_file_dropped_onto_a_subfolder_row_goes_into_that_subfolder()
    {
        var (page, rows) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var id = await Row(rows, "기존 폴더").GetAttributeAsync("data-entry-id");

        await DropAsync(page, $"#entry-rows [data-entry-id='{id}']", [("안에 넣을 파일.txt", 700, 10)], emptyFolders: []);

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='done']")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        Assert.Equal(Bytes(700, 10), await File.ReadAllBytesAsync(Path.Combine(app.StorageDirectory, Folder, "기존 폴더", "안에 넣을 파일.txt")));
    }

    [Fact]
    public async Task Cancel_leaves_nothing_under_the_final_name_nothing_staged_and_nothing_in_the_catalog()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        // Past one chunk, so the creation carries only the first; every later chunk is lost on the way, and the upload
        // stays in flight (retrying) until it is cancelled.
        await page.RouteAsync("**/api/v1/uploads/*", async route =>
        {
            if (route.Request.Method == "PATCH")
            {
                await route.AbortAsync();
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await DropAsync(page, "#entry-rows", [("취소할 파일.bin", UploadBrowserApp.ChunkBytes + 1_000_000, 11)], emptyFolders: []);
        var row = page.Locator("#upload-panel .fv-upload-row[data-status='uploading']");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        string uploadId;
        await using (var db = app.Database.CreateDbContext())
        {
            await WaitForAsync(async () => await db.Uploads.AnyAsync(u => u.FileName == "취소할 파일.bin"));
            uploadId = await db.Uploads.Where(u => u.FileName == "취소할 파일.bin").Select(u => u.Id).SingleAsync();
        }

        await row.Locator(".fv-upload-cancel").ClickAsync();

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='canceled']")).ToHaveCountAsync(1);
        await using (var db = app.Database.CreateDbContext())
        {
            await WaitForAsync(async () => !await db.Uploads.AnyAsync(u => u.Id == uploadId));
            Assert.False(await db.Entries.AnyAsync(e => e.Name == "취소할 파일.bin"));
        }

        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, Folder, "취소할 파일.bin")));
        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, ".filevault-staging", uploadId)));
    }

    [Fact]
    public async Task After_a_reload_mid_upload_the_same_file_picked_again_resumes_from_the_servers_offset()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var picked = Directory.CreateTempSubdirectory("filevault-resume-").FullName;
        var file = Path.Combine(picked, "큰 파일.bin");
        var bytes = Bytes(6 * UploadBrowserApp.ChunkBytes + 12_345, 12);
        await File.WriteAllBytesAsync(file, bytes);
        // Before the reload only the first chunk reaches the server; after it, every request goes through and is noted.
        var reloaded = false;
        var firstChunk = 0;
        var creations = 0;
        var offsetsAfterReload = new List<long>();
        await page.RouteAsync("**/api/v1/uploads**", async route =>
        {
            var request = route.Request;
            if (request.Method == "POST")
            {
                Interlocked.Increment(ref creations);
            }

            if (request.Method == "PATCH" && !Volatile.Read(ref reloaded) && Interlocked.Increment(ref firstChunk) > 1)
            {
                await route.AbortAsync();
                return;
            }

            if (request.Method == "PATCH" && Volatile.Read(ref reloaded))
            {
                lock (offsetsAfterReload)
                {
                    offsetsAfterReload.Add(long.Parse(request.Headers["upload-offset"], CultureInfo.InvariantCulture));
                }
            }

            await route.ContinueAsync();
        });
        await page.Locator("#upload-files-input").SetInputFilesAsync(file);
        await using (var db = app.Database.CreateDbContext())
        {
            await WaitForAsync(async () => await db.Uploads.AnyAsync(u => u.FileName == "큰 파일.bin" && u.Offset > 0));
        }

        Volatile.Write(ref reloaded, true);
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='waiting']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#upload-waiting-note")).ToBeVisibleAsync();
        await page.Locator("#upload-files-input").SetInputFilesAsync(file);

        await Assertions.Expect(page.Locator("#upload-panel .fv-upload-row[data-status='done']")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        Assert.Equal(1, creations);
        lock (offsetsAfterReload)
        {
            // The first chunk (the server's size, not the page's fallback) was kept; nothing before it was sent again.
            Assert.Equal(UploadBrowserApp.ChunkBytes, offsetsAfterReload.Min());
        }

        var stored = Path.Combine(app.StorageDirectory, Folder, "큰 파일.bin");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(stored)));
        Directory.Delete(picked, recursive: true);
    }

    [Fact]
    public async Task A_read_only_user_sees_no_upload_button_and_the_api_refuses_their_upload()
    {
        var email = $"reader-{Guid.NewGuid():N}@uploads.test";
        var user = await app.CreateUserAsync(email, Roles.User);
        await using (var db = app.Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant { RootId = _rootId, RelativePath = Folder, UserId = user.Id, Permissions = Permission.Read, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var (page, rows) = await OpenFolderAsync(email, FileVaultAppFactory.UserPassword, signedIn: "/files");
        long folderId;
        await using (var db = app.Database.CreateDbContext())
        {
            folderId = await db.Entries.Where(e => e.RootId == _rootId && e.RelativePath == Folder).Select(e => e.Id).SingleAsync();
        }

        // The page's own tus request, with its cookie and Origin: Core refuses it.
        var status = await page.EvaluateAsync<int>("""
            async ([destination]) => (await fetch('/api/v1/uploads', { method: 'POST', headers: {
                'Tus-Resumable': '1.0.0', 'Upload-Length': '3', 'Upload-Metadata': 'filename ' + btoa('x.txt') + ',destination ' + btoa(String(destination)) } })).status
            """, new object[] { folderId });

        await Assertions.Expect(page.Locator("#upload-menu")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#upload-folder-input")).ToHaveCountAsync(0);
        Assert.Equal(403, status);
        Assert.False(File.Exists(Path.Combine(app.StorageDirectory, Folder, "x.txt")));
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_before_any_byte_leaves_the_browser()
    {
        var (page, _) = await OpenFolderAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        var uploadRequests = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/v1/uploads", StringComparison.Ordinal) && request.Method is "POST" or "PATCH")
            {
                Interlocked.Increment(ref uploadRequests);
            }
        };
        await page.Locator("#upload-menu").ClickAsync();
        await Assertions.Expect(page.Locator("#upload-menu-limits")).ToContainTextAsync("24 MB");
        await page.Keyboard.PressAsync("Escape");

        await page.Locator("#upload-files-input").SetInputFilesAsync(new FilePayload
        {
            Name = "너무 큰 파일.bin", MimeType = "application/octet-stream", Buffer = new byte[UploadBrowserApp.MaxSizeBytes + 1],
        });

        var row = page.Locator("#upload-panel .fv-upload-row[data-status='failed']");
        await Assertions.Expect(row).ToContainTextAsync("너무 큽니다");
        await Assertions.Expect(page.Locator("#upload-limits")).ToContainTextAsync("24 MB");
        Assert.Equal(0, uploadRequests);
        await using var db = app.Database.CreateDbContext();
        Assert.False(await db.Uploads.AnyAsync(u => u.FileName == "너무 큰 파일.bin"));
    }

    /// <summary>Deterministic bytes, the same as the page builds for a drop.</summary>
    private static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = unchecked((byte)((i * 31) + (seed * 17) + (i >> 11)));
        }

        return bytes;
    }

    /// <summary>
    /// Drops files and folders the way a desktop drop arrives: DataTransfer items whose entries are file and directory
    /// entries; a directory's reader answers in batches of two until an empty one, as Chrome's does in batches of 100.
    /// </summary>
    private static async Task DropAsync(IPage page, string selector, IReadOnlyList<(string Path, int Size, int Seed)> files, IReadOnlyList<string> emptyFolders)
    {
        var spec = JsonSerializer.Serialize(new
        {
            files = files.Select(f => new { path = f.Path, size = f.Size, seed = f.Seed }),
            folders = emptyFolders,
        });
        await page.Locator(selector).First.EvaluateAsync("""
            (target, json) => {
              const spec = JSON.parse(json);
              const bytes = (size, seed) => { const b = new Uint8Array(size); for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 17 + (i >> 11)) & 255; return b; };
              const root = { children: new Map() };
              const folder = (path) => path.split('/').reduce((node, name) => {
                if (!node.children.has(name)) node.children.set(name, { name, children: new Map() });
                return node.children.get(name);
              }, root);
              for (const f of spec.files) {
                const parts = f.path.split('/');
                const name = parts.pop();
                const parent = parts.length ? folder(parts.join('/')) : root;
                parent.children.set(name, { name, file: new File([bytes(f.size, f.seed)], name, { lastModified: 1767225600000 }) });
              }
              for (const p of spec.folders) folder(p);
              const entry = node => node.file
                ? { isFile: true, isDirectory: false, name: node.name, file: ok => ok(node.file) }
                : { isFile: false, isDirectory: true, name: node.name, createReader() {
                      const all = [...node.children.values()].map(entry); let at = 0;
                      return { readEntries(ok) { const batch = all.slice(at, at + 2); at += 2; setTimeout(() => ok(batch)); } };
                    } };
              const items = [...root.children.values()].map(node => ({ kind: 'file', type: '', webkitGetAsEntry: () => entry(node) }));
              const dataTransfer = { types: ['Files'], items, files: [], dropEffect: 'copy', effectAllowed: 'all' };
              for (const type of ['dragenter', 'dragover', 'drop']) {
                const event = new Event(type, { bubbles: true, cancelable: true });
                Object.defineProperty(event, 'dataTransfer', { value: dataTransfer });
                target.dispatchEvent(event);
              }
            }
            """, spec);
    }

    private async Task<(IPage Page, ILocator Rows)> OpenFolderAsync(string email, string password, string signedIn = "/files")
    {
        var page = await browser.NewPageAsync(app.BaseAddress, "ko-KR");
        await BrowserFixture.SignInAsync(page, email, password);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(signedIn) + "$"), new() { Timeout = 30_000 });
        await page.GotoAsync($"/files/{_rootId}/{Uri.EscapeDataString(Folder)}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var rows = page.Locator("#entry-rows [data-entry-id]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        return (page, rows);
    }

    private static ILocator Row(ILocator rows, string name) => rows.Filter(new() { Has = rows.Page.Locator($".fv-entry-name[title='{name}']") });

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(100);
        }
    }
}
