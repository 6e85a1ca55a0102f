using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using FileVault.Core.Catalog;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.Win32.SafeHandles;

namespace FileVault.Core.Operations;

/// <summary>The selection could not be archived whole (a file changed, vanished or could not be read): no archive is made.</summary>
internal sealed class CompressAbortedException(string message) : Exception(message);

/// <summary>
/// Writes entries into a ZIP, streaming: one entry open at a time, a fixed buffer, CRC and sizes from the bytes actually
/// read, ZIP64 when sizes need it (System.IO.Compression). Entry names (R-DL-3) are the on-disk names in NFC (a Mac's
/// NFD names unpack readably on Windows) relative to each source's folder, "/" only between components, UTF-8 (bit 11), a "\" in a name turned into U+FF3C, and names equal
/// ignoring case or Unicode form numbered "name (1).ext" (at the top level across every <see cref="AddAsync"/> call).
/// Folders are directory entries, so empty ones are kept. Links, devices, FIFOs and names that are not UTF-8 are left
/// out and listed (R-LINK-1); FileVault's own temporaries, and folders the reader may not read (<paramref name="mayRead"/>,
/// given the folder's path in its root), are skipped without a word, as browsing hides them. A file whose size, time or
/// inode differs after reading from before, or that vanished, or that cannot be read, aborts the whole archive (R-DL-4).
/// The compress job writes it to a file, a ZIP download to the response (<see cref="Downloads.DownloadService"/>).
/// </summary>
/// <param name="report">Told the bytes read so far and the file being read, after each block; null when nobody watches.</param>
internal sealed class CompressArchiveWriter(
    ZipArchive zip, Func<string, Task<bool>> mayRead, Func<long, string, Task>? report, CancellationToken cancellationToken)
{
    /// <summary>Most left-out paths listed in the summary; the counts are complete.</summary>
    public const int MaxListed = 100;

    private const int BufferSize = 1 << 18;

    // Already compressed: deflating them again costs time and saves nothing.
    private static readonly FrozenSet<string> StoredExtensions = new[]
    {
        "zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "jpg", "jpeg", "png", "gif", "webp", "heic", "mp3", "m4a", "aac", "mp4", "m4v", "mov",
        "mkv", "avi", "webm", "docx", "xlsx", "pptx", "hwpx", "odt", "ods", "odp", "jar", "apk", "ipa",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly DateTimeOffset EarliestZipTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LatestZipTime = new(2107, 12, 31, 0, 0, 0, TimeSpan.Zero);

    // The archive's top-level names, shared by sources from different folders.
    private readonly HashSet<string> _topLevel = new(StringComparer.Ordinal);

    public long BytesRead { get; private set; }

    public int Files { get; private set; }

    public int Folders { get; private set; }

    public int LinksSkipped { get; private set; }

    public int OthersSkipped { get; private set; }

    /// <summary>Paths of what was left out (links, special files, names that are not UTF-8) relative to their source's folder, the first <see cref="MaxListed"/>.</summary>
    public List<string> NotIncluded { get; } = [];

    /// <summary>Adds the sources, entries of <paramref name="folder"/> (a real path: every link on the way resolved), at the archive's top level.</summary>
    public async Task AddAsync(string folder, IReadOnlyList<CompressSource> sources)
    {
        foreach (var source in sources)
        {
            var path = Join(folder, source.Name);
            var stat = NativeDirectory.Stat(Terminate(path))
                ?? throw new CompressAbortedException($"\"{source.Name}\" is no longer there; no archive was made.");
            await AddAsync(new Item(path, source.Name, source.Path), stat, "", _topLevel);
        }
    }

    private async Task AddAsync(Item item, RawEntry stat, string archiveFolder, HashSet<string> taken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (path, relative, catalogPath) = item;
        switch (stat.Kind)
        {
            case EntryKind.Symlink:
                LinksSkipped++;
                Note(relative + " (link)");
                return;
            case EntryKind.Other:
                OthersSkipped++;
                Note(relative);
                return;
            case EntryKind.Directory:
                if (!await mayRead(catalogPath))
                {
                    return;
                }

                var folderName = archiveFolder + Claim(taken, Path.GetFileName(path), isFolder: true) + "/";
                zip.CreateEntry(folderName).LastWriteTime = ZipTime(stat.ModifiedTicks);
                Folders++;
                await AddChildrenAsync(item, folderName);
                return;
            default:
                await AddFileAsync(path, relative, stat, archiveFolder + Claim(taken, Path.GetFileName(path), isFolder: false));
                return;
        }
    }

    private async Task AddChildrenAsync(Item folder, string archiveFolder)
    {
        var (path, relative, catalogPath) = folder;
        var children = new List<RawEntry>();
        var errno = NativeDirectory.List(Terminate(path), children);
        if (errno != 0)
        {
            throw new CompressAbortedException(
                $"The folder \"{relative}\" could not be read ({NativeFileSystem.ErrnoName(errno)}); no archive was made.");
        }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in children.OrderBy(c => c.NameBytes, ByteOrder.Instance))
        {
            if (!EntryName.TryDecode(child.NameBytes, out var name))
            {
                OthersSkipped++;
                Note(relative + "/" + EntryName.Display(child.NameBytes) + " (name not UTF-8)");
                continue;
            }

            // A copy, upload or rename in progress: not (yet) a file of the company's.
            if (name.StartsWith(PathGuard.TemporaryPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            await AddAsync(new Item(Join(path, name), relative + "/" + name, catalogPath + "/" + name), child, archiveFolder, taken);
        }
    }

    private async Task AddFileAsync(string path, string relative, RawEntry before, string entryName)
    {
        using var handle = OpenForReading(path, relative);
        var extension = EntryName.Extension(entryName);
        var entry = zip.CreateEntry(entryName, extension is not null && StoredExtensions.Contains(extension) ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
        entry.LastWriteTime = ZipTime(before.ModifiedTicks);
        long read = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var input = new FileStream(handle, FileAccess.Read, bufferSize: 0);
            await using var output = await entry.OpenAsync(cancellationToken);
            int count;
            while ((count = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
                read += count;
                BytesRead += count;
                if (report is not null)
                {
                    await report(BytesRead, relative);
                }

                if (!CompressFaults.IsEmpty)
                {
                    await CompressFaults.AfterReadAsync(path, cancellationToken);
                }
            }
        }
        catch (IOException ex)
        {
            throw new CompressAbortedException($"\"{relative}\" could not be read ({ex.Message}); no archive was made.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var after = NativeDirectory.Stat(Terminate(path));
        if (after is not { Kind: EntryKind.File } now || now.Inode != before.Inode || now.Size != before.Size || now.ModifiedTicks != before.ModifiedTicks
            || read != before.Size)
        {
            throw new CompressAbortedException(
                $"\"{relative}\" changed or vanished while it was being compressed; no archive was made. Try again once it is no longer being written.");
        }

        Files++;
    }

    /// <summary>Opens a file without following a link at its name or on its way (<see cref="NoFollowFile"/>), or aborts the archive.</summary>
    private static SafeFileHandle OpenForReading(string path, string relative) =>
        NoFollowFile.TryOpen(path, out var error) ?? throw new CompressAbortedException(error switch
        {
            NoFollowFile.ENoEnt or NoFollowFile.ELoop => $"\"{relative}\" changed or vanished while it was being compressed; no archive was made.",
            NoFollowFile.Moved => $"\"{relative}\" was moved while it was being compressed; no archive was made.",
            _ => $"\"{relative}\" could not be read ({NativeFileSystem.ErrnoName(error)}); no archive was made.",
        });

    /// <summary>The entry's name in its archive folder: NFC, "\" made U+FF3C, a name taken there (ignoring case and Unicode form) numbered.</summary>
    internal static string Claim(HashSet<string> taken, string diskName, bool isFolder)
    {
        var name = EntryName.Portable(diskName).Replace('\\', '\uFF3C');
        if (!taken.Add(EntryName.Key(name)))
        {
            name = CatalogChanges.KeepBothName(name, isFolder, candidate => taken.Contains(EntryName.Key(candidate)));
            taken.Add(EntryName.Key(name));
        }

        return name;
    }

    private void Note(string relative)
    {
        if (NotIncluded.Count < MaxListed)
        {
            NotIncluded.Add(relative);
        }
    }

    // ZIP keeps DOS times, 1980 to 2107, in local time (what unzip tools show), so the server's time zone.
    private static DateTimeOffset ZipTime(long ticks)
    {
        var time = new DateTimeOffset(ticks, TimeSpan.Zero).ToLocalTime();
        return time < EarliestZipTime ? EarliestZipTime : time > LatestZipTime ? LatestZipTime : time;
    }

    private static string Join(string folder, string name) => folder.EndsWith('/') ? folder + name : folder + "/" + name;

    private static byte[] Terminate(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>A file or folder on its way into the archive: its real path, its path relative to its source's folder (for messages) and its path in its root (for access).</summary>
    private sealed record Item(string Path, string Relative, string CatalogPath);
}

/// <summary>
/// A write-only, forward-only view of the archive file that hashes what passes through: the archive's SHA-256 for the
/// catalog without reading it again. Not seekable, so the ZIP writer never goes back (it writes data descriptors).
/// </summary>
internal sealed class HashingWriteStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public byte[] Hash() => _hash.GetCurrentHash();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner.Write(buffer);
        _length += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _hash.AppendData(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
        _length += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Test hooks: code run once, after the first read of one source file (by its real path), to change, remove or cancel
/// at a known point of a compress job instead of racing it.
/// </summary>
internal static class CompressFaults
{
    private static readonly ConcurrentDictionary<string, Func<CancellationToken, Task>> Hooks = new(StringComparer.Ordinal);

    public static bool IsEmpty => Hooks.IsEmpty;

    public static void Set(string path, Func<CancellationToken, Task> hook) => Hooks[path] = hook;

    public static Task AfterReadAsync(string path, CancellationToken cancellationToken) =>
        Hooks.TryRemove(path, out var hook) ? hook(cancellationToken) : Task.CompletedTask;
}
