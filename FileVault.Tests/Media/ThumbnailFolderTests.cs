using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Scanning;
using FileVault.Core.Media;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Tests.Media;

/// <summary>
/// The thumbnail folder must lie outside every storage root (inside one, its files would be catalogued and served as
/// the share's), and its sweep keeps only what the catalog can still serve. The scheduled, recorded, run-once sweep
/// over it is tested in CleanupSweepTests.
/// </summary>
public sealed class ThumbnailFolderTests : IAsyncLifetime
{
    private ScanHarness _harness = default!;

    public async Task InitializeAsync() => _harness = await ScanHarness.CreateAsync();

    [Theory]
    [InlineData("inside")]
    [InlineData("the root itself")]
    public async Task A_folder_inside_a_storage_root_is_never_written_or_read(string where)
    {
        var folder = where == "inside" ? _harness.PathOf("썸네일") : _harness.Root;
        var before = Directory.GetFileSystemEntries(_harness.Root, "*", SearchOption.AllDirectories).Order().ToList();
        var thumbnails = new ThumbnailFolder(_harness.Get<IDbContextFactory<FileVaultDbContext>>(),
            Options.Create(new MediaOptions { ThumbnailDirectory = folder }), TimeProvider.System, new CountingLogger<ThumbnailFolder>());
        var key = new ThumbnailKey(1, 100, 200, ThumbnailSize.Small, ThumbnailFormat.Webp);

        await thumbnails.WriteAsync(key, [1, 2, 3], CancellationToken.None);

        Assert.Null(await thumbnails.ReadAsync(key, CancellationToken.None));
        Assert.False(thumbnails.IsConfigured);
        Assert.Equal(before, Directory.GetFileSystemEntries(_harness.Root, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task A_folder_beside_a_root_with_the_root_name_as_its_prefix_is_used()
    {
        var folder = _harness.Root.TrimEnd('/') + "-thumbnails";
        var thumbnails = new ThumbnailFolder(_harness.Get<IDbContextFactory<FileVaultDbContext>>(),
            Options.Create(new MediaOptions { ThumbnailDirectory = folder }), TimeProvider.System, new CountingLogger<ThumbnailFolder>());
        var key = new ThumbnailKey(1, 100, 200, ThumbnailSize.Small, ThumbnailFormat.Webp);
        try
        {
            await thumbnails.WriteAsync(key, [1, 2, 3], CancellationToken.None);

            Assert.Equal([1, 2, 3], await thumbnails.ReadAsync(key, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_sweep_deletes_thumbnails_of_vanished_and_changed_images_and_orphans_and_keeps_current_and_trashed_ones()
    {
        _harness.WriteFile("사진/kept.jpg", "kept");
        _harness.WriteFile("사진/changed.jpg", "before");
        _harness.WriteFile("사진/vanished.jpg", "vanished");
        _harness.WriteFile("사진/trashed.jpg", "trashed");
        // Enough beside them that one vanished file stays under the scanner's "too much missing" guard.
        for (var i = 0; i < 10; i++)
        {
            _harness.WriteFile($"문서/{i}.txt");
        }

        await _harness.ScanAsync(ScanKind.Full);
        var folder = _harness.Root.TrimEnd('/') + "-sweep";
        var thumbnails = Folder(folder);
        try
        {
            var kept = await WriteCurrentAsync(thumbnails, "사진/kept.jpg");
            var oldVersion = await WriteCurrentAsync(thumbnails, "사진/changed.jpg");
            var vanished = await WriteCurrentAsync(thumbnails, "사진/vanished.jpg");
            var trashed = await WriteCurrentAsync(thumbnails, "사진/trashed.jpg");
            var neverCatalogued = new ThumbnailKey(987_654_321, 10, 10, ThumbnailSize.Small, ThumbnailFormat.Webp);
            await thumbnails.WriteAsync(neverCatalogued, [9], CancellationToken.None);
            // An orphan's folder goes whole, with whatever else it holds.
            var orphanFolder = Path.Combine(folder, "321", "987654321");
            File.WriteAllText(Path.Combine(orphanFolder, "not-a-thumbnail"), "?");
            File.WriteAllText(_harness.PathOf("사진/changed.jpg"), "after, longer");
            File.Delete(_harness.PathOf("사진/vanished.jpg"));
            await _harness.ScanAsync(ScanKind.Full);
            await using (var db = _harness.Database.CreateDbContext())
            {
                await db.Entries.Where(e => e.Id == trashed.EntryId).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EntryState.Trashed));
            }

            var swept = await thumbnails.SweepAsync(0, 1000, CancellationToken.None);

            Assert.Equal((4, 2), (swept.FilesDeleted, swept.FilesKept));
            Assert.False(Directory.Exists(orphanFolder));
            Assert.NotNull(await thumbnails.ReadAsync(kept, CancellationToken.None));
            Assert.NotNull(await thumbnails.ReadAsync(trashed, CancellationToken.None));
            Assert.Null(await thumbnails.ReadAsync(oldVersion, CancellationToken.None));
            Assert.Null(await thumbnails.ReadAsync(vanished, CancellationToken.None));
            Assert.Null(await thumbnails.ReadAsync(neverCatalogued, CancellationToken.None));
            // Their entry folders went with them; a second run finds nothing more to do.
            Assert.Equal(2, Directory.EnumerateDirectories(folder).SelectMany(Directory.EnumerateDirectories).Count());
            Assert.Equal(0, (await thumbnails.SweepAsync(swept.NextBucket, 1000, CancellationToken.None)).FilesDeleted);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task One_sweep_looks_at_a_bounded_number_of_entries_and_the_next_goes_on_from_there()
    {
        var folder = _harness.Root.TrimEnd('/') + "-bounded";
        var thumbnails = Folder(folder);
        try
        {
            // Three entries the catalog never had, in three different buckets.
            foreach (var id in new long[] { 900_001, 900_002, 900_003 })
            {
                await thumbnails.WriteAsync(new ThumbnailKey(id, 1, 1, ThumbnailSize.Small, ThumbnailFormat.Webp), [1], CancellationToken.None);
            }

            var first = await thumbnails.SweepAsync(0, 1, CancellationToken.None);
            var second = await thumbnails.SweepAsync(first.NextBucket, 1, CancellationToken.None);
            var third = await thumbnails.SweepAsync(second.NextBucket, 1, CancellationToken.None);

            Assert.Equal([(1, 1, 2), (1, 1, 3), (1, 1, 4)], new[] { first, second, third }.Select(r => (r.EntriesLookedAt, r.FilesDeleted, r.NextBucket)));
            Assert.Empty(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private ThumbnailFolder Folder(string folder) => new(_harness.Get<IDbContextFactory<FileVaultDbContext>>(),
        Options.Create(new MediaOptions { ThumbnailDirectory = folder }), TimeProvider.System, new CountingLogger<ThumbnailFolder>());

    /// <summary>Writes the small thumbnail of the file's current version, keyed as a request would key it (fstat's length and mtime).</summary>
    private async Task<ThumbnailKey> WriteCurrentAsync(ThumbnailFolder thumbnails, string relativePath)
    {
        var catalog = await _harness.CatalogAsync();
        var entry = catalog[relativePath];
        var info = new FileInfo(_harness.PathOf(relativePath));
        var ticks = info.LastWriteTimeUtc.Ticks;
        var key = new ThumbnailKey(entry.Id, info.Length, ticks - (ticks % 10), ThumbnailSize.Small, ThumbnailFormat.Webp);
        await thumbnails.WriteAsync(key, [1, 2, 3], CancellationToken.None);
        return key;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();
}
