using FileVault.Core.Data;
using FileVault.Core.Media;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Tests.Media;

/// <summary>The thumbnail folder must lie outside every storage root: inside one, its files would be catalogued and served as the share's.</summary>
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
            Options.Create(new MediaOptions { ThumbnailDirectory = folder }), new CountingLogger<ThumbnailFolder>());
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
            Options.Create(new MediaOptions { ThumbnailDirectory = folder }), new CountingLogger<ThumbnailFolder>());
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

    public async Task DisposeAsync() => await _harness.DisposeAsync();
}
