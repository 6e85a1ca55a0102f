using System.Runtime.InteropServices;
using System.Text;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Infrastructure;

/// <summary>A registered storage root in a temp directory over a fresh database, with the app's scanner.</summary>
public sealed partial class ScanHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ScanHarness(TestDatabase database, ServiceProvider services, string root, int rootId)
    {
        Database = database;
        _services = services;
        Root = root;
        RootId = rootId;
    }

    public TestDatabase Database { get; }

    public string Root { get; }

    public int RootId { get; }

    public static async Task<ScanHarness> CreateAsync(Action<string>? populate = null, IDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        var services = CoreServices.Build(database, settings);
        var root = Directory.CreateTempSubdirectory("filevault-scan-").FullName;
        populate?.Invoke(root);
        await using var scope = services.CreateAsyncScope();
        var registered = await scope.ServiceProvider.GetRequiredService<StorageRootRegistry>()
            .RegisterAsync(null, "root-" + Path.GetFileName(root), root, isReadOnly: false, CancellationToken.None);
        Assert.True(registered.IsSuccess, registered.Error?.ToString());
        return new ScanHarness(database, services, root, registered.Value.Id);
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>A scope for scoped services (the access evaluator and what uses it).</summary>
    public AsyncServiceScope CreateScope() => _services.CreateAsyncScope();

    public Task<ScanRun> ScanAsync(ScanKind kind, CancellationToken cancellationToken = default) =>
        Get<Scanner>().RunAsync(RootId, kind, "test", cancellationToken);

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void WriteFile(string relative, string content = "x")
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>The id of the active entry at <paramref name="relativePath"/> in this root (or in <paramref name="rootId"/>).</summary>
    public async Task<long> IdOfAsync(string relativePath, int? rootId = null)
    {
        var root = rootId ?? RootId;
        await using var db = Database.CreateDbContext();
        return await db.Entries.Where(e => e.RootId == root && e.RelativePath == relativePath && e.State == EntryState.Active).Select(e => e.Id).SingleAsync();
    }

    /// <summary>Active catalog rows of this root, by relative path (the root itself excluded).</summary>
    public async Task<Dictionary<string, Entry>> CatalogAsync()
    {
        await using var db = Database.CreateDbContext();
        return await db.Entries.AsNoTracking()
            .Where(e => e.RootId == RootId && e.State == EntryState.Active && e.RelativePath != "")
            .ToDictionaryAsync(e => e.RelativePath, StringComparer.Ordinal);
    }

    /// <summary>A fresh walk of the disk, independent of the scanner: path → (kind, size, mtime in µs).</summary>
    public Dictionary<string, (EntryKind Kind, long Size, long MtimeMicros)> Disk()
    {
        var result = new Dictionary<string, (EntryKind, long, long)>(StringComparer.Ordinal);
        Walk(Root, "");
        return result;

        void Walk(string directory, string relative)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                var name = Path.GetFileName(path);
                if (relative.Length == 0 && PathGuard.IsReservedName(name))
                {
                    continue;
                }

                var info = new FileInfo(path);
                var key = relative.Length == 0 ? name : relative + "/" + name;
                var micros = (info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) / 10;
                if (info.LinkTarget is not null)
                {
                    result[key] = (EntryKind.Symlink, 0, micros);
                }
                else if (info.Attributes.HasFlag(FileAttributes.Directory))
                {
                    result[key] = (EntryKind.Directory, 0, micros);
                    Walk(path, key);
                }
                else
                {
                    result[key] = (EntryKind.File, info.Length, micros);
                }
            }
        }
    }

    /// <summary>Asserts the catalog holds exactly what is on disk, with the same kinds, sizes and mtimes.</summary>
    public async Task AssertCatalogMatchesDiskAsync()
    {
        var disk = Disk();
        var catalog = await CatalogAsync();
        Assert.Equal(disk.Keys.Order(StringComparer.Ordinal), catalog.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, (kind, size, micros)) in disk)
        {
            var entry = catalog[path];
            Assert.True(kind == entry.Kind, $"{path}: kind {entry.Kind}, disk {kind}");
            if (kind == EntryKind.File)
            {
                Assert.True(size == entry.Size, $"{path}: size {entry.Size}, disk {size}");
            }

            if (kind != EntryKind.Symlink)
            {
                var catalogMicros = (entry.ModifiedAt.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
                Assert.True(micros == catalogMicros, $"{path}: mtime {catalogMicros}, disk {micros}");
            }
        }
    }

    /// <summary>Creates a file whose name is the given raw bytes (possibly not UTF-8), which .NET cannot spell.</summary>
    public void CreateFileWithRawName(string relativeDirectory, byte[] name)
    {
        var fd = creat(RawPath(relativeDirectory, name), Convert.ToInt32("644", 8));
        Assert.True(fd >= 0, "creat failed: errno " + Marshal.GetLastPInvokeError());
        _ = close(fd);
        _rawNames.Add((relativeDirectory, name));
    }

    private readonly List<(string Directory, byte[] Name)> _rawNames = [];

    private byte[] RawPath(string relativeDirectory, byte[] name) =>
        Encoding.UTF8.GetBytes(Path.Combine(Root, relativeDirectory) + "/").Concat(name).Append((byte)0).ToArray();

    public async ValueTask DisposeAsync()
    {
        NativeDirectoryFaults.ClearUnder(Root);
        await _services.DisposeAsync();
        await Database.DisposeAsync();
        foreach (var (directory, name) in _rawNames)
        {
            // .NET cannot name these files, so it cannot delete them either.
            _ = unlink(RawPath(directory, name));
        }

        Directory.Delete(Root, recursive: true);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int creat(byte[] path, int mode);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc")]
    private static partial int unlink(byte[] path);
}
