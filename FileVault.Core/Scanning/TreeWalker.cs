using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using FileVault.Core.Catalog;
using FileVault.Core.Storage;

namespace FileVault.Core.Scanning;

/// <summary>One entry the walk found, ready for the staging table.</summary>
internal sealed record ScannedEntry(
    long LocalId,
    long? ParentLocalId,
    string RelativePath,
    string Name,
    bool NameIsValid,
    EntryKind Kind,
    long Size,
    long ModifiedTicks,
    ulong Device,
    ulong Inode,
    string? LinkTarget);

/// <summary>A directory the catalog already knows, for incremental scans.</summary>
internal sealed record KnownDirectory(long ModifiedTicks, List<string> ChildDirectories, bool ChildrenAddressable);

/// <summary>A path the walk could not read.</summary>
internal sealed record WalkError(string RelativePath, string Code, string Message);

/// <summary>
/// Walks a root's directories in parallel, never following symlinks, and streams every entry it sees.
/// Full walks list every directory. Incremental walks list only directories whose mtime differs from the catalog's
/// (an entry was added, removed or renamed in them) and reach the rest through the catalog's child folders, stat'ing
/// each folder but not its files.
/// </summary>
internal sealed class TreeWalker(
    string rootPath,
    int parallelism,
    IReadOnlyDictionary<string, KnownDirectory>? known,
    ChannelWriter<ScannedEntry> output,
    ScanProgress progress)
{
    private readonly Channel<DirectoryWork> _work = Channel.CreateUnbounded<DirectoryWork>();
    private int _pending;
    private long _nextLocalId;

    /// <summary>Directories whose children were listed (the scope in which absence means "gone").</summary>
    public ConcurrentBag<string> Listed { get; } = [];

    /// <summary>Directories that could not be read: their subtrees keep their catalog state.</summary>
    public ConcurrentBag<string> Unknown { get; } = [];

    public ConcurrentQueue<WalkError> Errors { get; } = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var rootBytes = Encoding.UTF8.GetBytes(rootPath);
        var root = NativeDirectory.Stat(Terminate(rootBytes))
            ?? throw new IOException($"Cannot stat the storage root {rootPath}");
        var rootEntry = ToScanned(root, null, "", "", true, null);
        await output.WriteAsync(rootEntry, cancellationToken);
        progress.AddSeen(1);
        Enqueue(new DirectoryWork(rootBytes, "", root.ModifiedTicks, rootEntry.LocalId));

        var workers = Enumerable.Range(0, parallelism)
            .Select(_ => Task.Factory.StartNew(() => WorkAsync(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        var buffer = new List<RawEntry>(256);
        await foreach (var directory in _work.Reader.ReadAllAsync(cancellationToken))
        {
            try
            {
                await VisitAsync(directory, buffer, cancellationToken);
            }
            finally
            {
                if (Interlocked.Decrement(ref _pending) == 0)
                {
                    _work.Writer.TryComplete();
                }
            }
        }
    }

    private async Task VisitAsync(DirectoryWork directory, List<RawEntry> buffer, CancellationToken cancellationToken)
    {
        progress.CurrentFolder = directory.RelativePath;
        if (known is not null && known.TryGetValue(directory.RelativePath, out var catalogued)
            && catalogued.ModifiedTicks == directory.ModifiedTicks && catalogued.ChildrenAddressable
            && await TryVisitUnchangedAsync(directory, catalogued, cancellationToken))
        {
            return;
        }

        buffer.Clear();
        var errno = NativeDirectory.List(Terminate(directory.AbsolutePath), buffer);
        if (errno != 0)
        {
            if (directory.RelativePath.Length == 0)
            {
                throw new IOException($"Cannot list the storage root {rootPath}: {NativeFileSystem.ErrnoName(errno)}");
            }

            Unknown.Add(directory.RelativePath);
            RecordError(directory.RelativePath, NativeFileSystem.ErrnoName(errno), "The folder could not be read; its contents were left as they were.");
            return;
        }

        Listed.Add(directory.RelativePath);
        HashSet<string>? namesInUse = null;
        foreach (var raw in buffer)
        {
            var valid = EntryName.TryDecode(raw.NameBytes, out var name);
            // FileVault's own marker, trash and staging in the root's top folder are not the company's files (R-SCAN-6).
            // Files a copy or rename job is writing (not yet under their final names) are not catalogued either.
            if (valid && ((directory.RelativePath.Length == 0 && Storage.PathGuard.IsReservedName(name))
                          || name.StartsWith(PathGuard.TemporaryPrefix, StringComparison.Ordinal)))
            {
                continue;
            }

            if (!valid)
            {
                // Shown with \xNN escapes; made unique among its siblings so the catalog's path stays a key.
                namesInUse ??= buffer
                    .Select(b => EntryName.TryDecode(b.NameBytes, out var sibling) ? sibling : null)
                    .OfType<string>()
                    .ToHashSet(StringComparer.Ordinal);
                name = EntryName.Display(raw.NameBytes);
                for (var n = 1; !namesInUse.Add(name); n++)
                {
                    name = EntryName.Display(raw.NameBytes) + "~" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            var relative = directory.RelativePath.Length == 0 ? name : directory.RelativePath + "/" + name;
            if (!valid)
            {
                RecordError(relative, "invalid_utf8", "The name is not valid UTF-8; it is listed but can only be addressed by its id.");
            }

            var absolute = Join(directory.AbsolutePath, raw.NameBytes);
            var link = raw.Kind == EntryKind.Symlink ? NativeDirectory.ReadLink(Terminate(absolute)) : null;
            var scanned = ToScanned(raw, directory.LocalId, relative, name, valid, link);
            await output.WriteAsync(scanned, cancellationToken);
            if (raw.Kind == EntryKind.Directory)
            {
                Enqueue(new DirectoryWork(absolute, relative, raw.ModifiedTicks, scanned.LocalId));
            }
        }

        progress.AddSeen(buffer.Count);
    }

    /// <summary>An unchanged folder: its own files are taken as catalogued; its subfolders are stat'ed and visited.</summary>
    private async Task<bool> TryVisitUnchangedAsync(DirectoryWork directory, KnownDirectory catalogued, CancellationToken cancellationToken)
    {
        var children = new List<(RawEntry Raw, string Name, byte[] Absolute)>(catalogued.ChildDirectories.Count);
        foreach (var name in catalogued.ChildDirectories)
        {
            var absolute = Join(directory.AbsolutePath, Encoding.UTF8.GetBytes(name));
            if (NativeDirectory.Stat(Terminate(absolute)) is not { Kind: EntryKind.Directory } raw)
            {
                // The catalog and the disk disagree under an unchanged mtime: list the folder after all.
                return false;
            }

            children.Add((raw, name, absolute));
        }

        foreach (var (raw, name, absolute) in children)
        {
            var relative = directory.RelativePath.Length == 0 ? name : directory.RelativePath + "/" + name;
            var scanned = ToScanned(raw, directory.LocalId, relative, name, true, null);
            await output.WriteAsync(scanned, cancellationToken);
            Enqueue(new DirectoryWork(absolute, relative, raw.ModifiedTicks, scanned.LocalId));
        }

        progress.AddSeen(children.Count);
        return true;
    }

    private void Enqueue(DirectoryWork work)
    {
        Interlocked.Increment(ref _pending);
        _work.Writer.TryWrite(work);
    }

    private void RecordError(string relativePath, string code, string message)
    {
        progress.AddError();
        Errors.Enqueue(new WalkError(relativePath, code, message));
    }

    /// <summary>Numbers entries in the order seen, so the merge links children to parents by integer, not by path.</summary>
    private ScannedEntry ToScanned(RawEntry raw, long? parentLocalId, string relative, string name, bool valid, string? link) =>
        new(Interlocked.Increment(ref _nextLocalId), parentLocalId, relative, name, valid, raw.Kind, raw.Size, raw.ModifiedTicks, raw.Device, raw.Inode, link);

    private static byte[] Join(byte[] directory, byte[] name)
    {
        var joined = new byte[directory.Length + 1 + name.Length];
        directory.CopyTo(joined, 0);
        joined[directory.Length] = (byte)'/';
        name.CopyTo(joined, directory.Length + 1);
        return joined;
    }

    private static byte[] Terminate(byte[] path)
    {
        var terminated = new byte[path.Length + 1];
        path.CopyTo(terminated, 0);
        return terminated;
    }

    private sealed record DirectoryWork(byte[] AbsolutePath, string RelativePath, long ModifiedTicks, long LocalId);
}
