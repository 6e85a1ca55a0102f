using System.Text;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Scanning;

public sealed class ScannerTests : IAsyncLifetime
{
    private const string NfdReport = "보고서.txt";
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() => _harness = await ScanHarness.CreateAsync(BuildTree);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>A small file server: Korean NFC and NFD names, nesting, an empty folder, links in and out of the root, a link loop.</summary>
    private static void BuildTree(string root)
    {
        void Write(string relative, string content)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        Write("영업부/견적서_2025.xlsx", "quote");
        Write("영업부/2024/회의록.txt", "minutes of the meeting");
        Write("개발팀/설계/design.md", "# design");
        Write("개발팀/" + NfdReport.Normalize(NormalizationForm.FormD), "NFD name from a Mac");
        Write("Marketing/logo.PNG", "png bytes");
        Write("a..b.txt", "legal double dot");
        Directory.CreateDirectory(Path.Combine(root, "빈 폴더"));
        File.CreateSymbolicLink(Path.Combine(root, "Marketing/latest-quote"), "../영업부/견적서_2025.xlsx");
        File.CreateSymbolicLink(Path.Combine(root, "escape"), "/etc");
        File.CreateSymbolicLink(Path.Combine(root, "loop-a"), "loop-b");
        File.CreateSymbolicLink(Path.Combine(root, "loop-b"), "loop-a");
    }

    [Fact]
    public async Task Full_scan_catalogs_exactly_what_is_on_disk_without_following_links()
    {
        var run = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(ScanStatus.Completed, run.Status);
        await _harness.AssertCatalogMatchesDiskAsync();
        var catalog = await _harness.CatalogAsync();
        Assert.Equal(EntryKind.Symlink, catalog["escape"].Kind);
        Assert.Equal("/etc", catalog["escape"].LinkTarget);
        Assert.DoesNotContain(catalog.Keys, k => k.StartsWith("escape/", StringComparison.Ordinal));
        Assert.Equal(EntryKind.Symlink, catalog["loop-a"].Kind);
        Assert.Equal("xlsx", catalog["영업부/견적서_2025.xlsx"].Extension);
        Assert.Equal("png", catalog["Marketing/logo.PNG"].Extension);
        Assert.Equal("image/png", catalog["Marketing/logo.PNG"].MimeType);
        Assert.DoesNotContain(catalog.Keys, k => k == StorageRootRegistry.MarkerFileName);
    }

    [Fact]
    public async Task Nfd_names_are_kept_byte_exact_and_keyed_in_nfc()
    {
        await _harness.ScanAsync(ScanKind.Full);

        var entry = (await _harness.CatalogAsync()).Values.Single(e => e.NameKey == NfdReport);
        Assert.Equal(NfdReport.Normalize(NormalizationForm.FormD), entry.Name);
        Assert.False(entry.Name.IsNormalized(NormalizationForm.FormC));
        Assert.Equal("개발팀/" + NfdReport.Normalize(NormalizationForm.FormD), entry.RelativePath);
    }

    [Fact]
    public async Task Every_entry_points_at_its_parent_folder()
    {
        await _harness.ScanAsync(ScanKind.Full);

        await using var db = _harness.Database.CreateDbContext();
        var all = await db.Entries.Where(e => e.RootId == _harness.RootId).ToListAsync();
        var byId = all.ToDictionary(e => e.Id);
        var root = Assert.Single(all, e => e.ParentId is null);
        Assert.Equal("", root.RelativePath);
        foreach (var entry in all.Where(e => e.ParentId is not null))
        {
            var parent = byId[entry.ParentId!.Value];
            Assert.Equal(EntryKind.Directory, parent.Kind);
            var expectedParent = entry.RelativePath.Contains('/', StringComparison.Ordinal) ? entry.RelativePath[..entry.RelativePath.LastIndexOf('/')] : "";
            Assert.Equal(expectedParent, parent.RelativePath);
        }
    }

    [Fact]
    public async Task A_second_full_scan_of_an_unchanged_tree_changes_nothing()
    {
        await _harness.ScanAsync(ScanKind.Full);

        var again = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(ScanStatus.Completed, again.Status);
        Assert.Equal((0, 0, 0, 0), (again.Added, again.Updated, again.Missing, again.Renamed));
        Assert.True(again.Seen > 10);
    }

    [Fact]
    public async Task Full_scan_follows_adds_deletes_modifications_and_outside_renames()
    {
        await _harness.ScanAsync(ScanKind.Full);
        var before = await _harness.CatalogAsync();
        await SetDescriptionAsync(before["영업부/2024/회의록.txt"].Id, "3월 회의");

        _harness.WriteFile("새 폴더/추가.txt", "added");
        File.Delete(_harness.PathOf("a..b.txt"));
        File.AppendAllText(_harness.PathOf("개발팀/설계/design.md"), "\nmore");
        Directory.Move(_harness.PathOf("영업부/2024"), _harness.PathOf("영업부/2024-archive"));

        var run = await _harness.ScanAsync(ScanKind.Full);

        await _harness.AssertCatalogMatchesDiskAsync();
        var after = await _harness.CatalogAsync();
        var moved = after["영업부/2024-archive/회의록.txt"];
        Assert.Equal(before["영업부/2024/회의록.txt"].Id, moved.Id);
        Assert.Equal("3월 회의", moved.Description);
        Assert.Equal(before["영업부/2024"].Id, after["영업부/2024-archive"].Id);
        Assert.Equal(after["영업부/2024-archive"].Id, moved.ParentId);
        Assert.Equal(2, run.Renamed);
        Assert.Equal(1, run.Missing);
        Assert.Equal(EntryState.Missing, await StateOfAsync(before["a..b.txt"].Id));
    }

    [Fact]
    public async Task Incremental_scan_sees_adds_deletes_and_renames_in_changed_folders()
    {
        await _harness.ScanAsync(ScanKind.Full);
        _harness.WriteFile("개발팀/설계/새 문서.txt", "new");
        File.Delete(_harness.PathOf("영업부/견적서_2025.xlsx"));
        File.Move(_harness.PathOf("Marketing/logo.PNG"), _harness.PathOf("Marketing/로고.png"));
        Directory.CreateDirectory(_harness.PathOf("빈 폴더/안쪽/더 안쪽"));

        var run = await _harness.ScanAsync(ScanKind.Incremental);

        Assert.Equal(ScanKind.Incremental, run.Kind);
        Assert.Equal(ScanStatus.Completed, run.Status);
        await _harness.AssertCatalogMatchesDiskAsync();
        Assert.Equal(1, run.Renamed);
    }

    [Fact]
    public async Task Incremental_scan_of_an_unchanged_tree_reads_no_folder_contents()
    {
        await _harness.ScanAsync(ScanKind.Full);
        // Any folder listing would now fail: an incremental scan of an unchanged tree must not list one.
        foreach (var folder in Directory.EnumerateDirectories(_harness.Root, "*", SearchOption.AllDirectories).Append(_harness.Root))
        {
            NativeDirectoryFaults.Set(folder, () => 5);
        }

        var run = await _harness.ScanAsync(ScanKind.Incremental);

        Assert.Equal(ScanStatus.Completed, run.Status);
        Assert.Equal((0L, 0L, 0L, 0L), (run.Added, run.Updated, run.Missing, run.Errors));
    }

    [Fact]
    public async Task Incremental_scan_misses_an_in_place_modification_that_the_full_scan_catches()
    {
        await _harness.ScanAsync(ScanKind.Full);
        var path = _harness.PathOf("개발팀/설계/design.md");
        File.AppendAllText(path, "\nedited in place");

        var incremental = await _harness.ScanAsync(ScanKind.Incremental);
        var stale = (await _harness.CatalogAsync())["개발팀/설계/design.md"];
        var full = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(0, incremental.Updated);
        Assert.NotEqual(new FileInfo(path).Length, stale.Size);
        Assert.Equal(1, full.Updated);
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task First_incremental_scan_of_a_root_runs_as_full()
    {
        var run = await _harness.ScanAsync(ScanKind.Incremental);

        Assert.Equal(ScanKind.Full, run.Kind);
        await _harness.AssertCatalogMatchesDiskAsync();
    }

    [Fact]
    public async Task Unreadable_folder_keeps_its_catalogued_contents_and_records_an_error()
    {
        await _harness.ScanAsync(ScanKind.Full);
        var unreadable = _harness.PathOf("영업부");
        NativeDirectoryFaults.Set(unreadable, () => 13);
        File.Delete(_harness.PathOf("영업부/견적서_2025.xlsx"));

        var run = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(ScanStatus.Completed, run.Status);
        Assert.Equal(0, run.Missing);
        Assert.Equal(1, run.Errors);
        var catalog = await _harness.CatalogAsync();
        Assert.Contains("영업부/견적서_2025.xlsx", catalog.Keys);
        Assert.Contains("영업부/2024/회의록.txt", catalog.Keys);
        await using var db = _harness.Database.CreateDbContext();
        var error = await db.ScanErrors.SingleAsync(e => e.ScanRunId == run.Id);
        Assert.Equal(("영업부", "EACCES"), (error.RelativePath, error.Code));
    }

    [Fact]
    public async Task A_name_that_is_not_utf8_is_catalogued_escaped_and_flagged()
    {
        _harness.CreateFileWithRawName("영업부", [0x62, 0x61, 0x64, 0xFF, 0x2E, 0x74, 0x78, 0x74]);

        var run = await _harness.ScanAsync(ScanKind.Full);

        Assert.Equal(ScanStatus.Completed, run.Status);
        var catalog = await _harness.CatalogAsync();
        Assert.True(catalog.ContainsKey("영업부/bad\\xFF.txt"), string.Join(", ", catalog.Keys.Where(k => k.Contains("bad", StringComparison.Ordinal))));
        var entry = catalog["영업부/bad\\xFF.txt"];
        Assert.False(entry.NameIsValid);
        Assert.Equal(EntryKind.File, entry.Kind);
        Assert.Equal(1, run.Errors);
        Assert.Equal(0, (await _harness.ScanAsync(ScanKind.Full)).Added);
    }

    [Fact]
    public async Task Cancelling_mid_walk_leaves_the_catalog_as_it_was()
    {
        await _harness.ScanAsync(ScanKind.Full);
        var before = await _harness.CatalogAsync();
        _harness.WriteFile("영업부/2024/추가.txt", "would be added");
        File.Delete(_harness.PathOf("a..b.txt"));
        using var cancel = new CancellationTokenSource();
        NativeDirectoryFaults.Set(_harness.PathOf("영업부"), () =>
        {
            cancel.Cancel();
            return null;
        });

        var run = await _harness.ScanAsync(ScanKind.Full, cancel.Token);

        Assert.Equal(ScanStatus.Cancelled, run.Status);
        Assert.Equal(before.Keys.Order(), (await _harness.CatalogAsync()).Keys.Order());
    }

    private async Task SetDescriptionAsync(long id, string description)
    {
        await using var db = _harness.Database.CreateDbContext();
        await db.Entries.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, description));
    }

    private async Task<EntryState> StateOfAsync(long id)
    {
        await using var db = _harness.Database.CreateDbContext();
        return await db.Entries.Where(e => e.Id == id).Select(e => e.State).SingleAsync();
    }
}
