using System.Runtime.InteropServices;
using System.Text;
using FileVault.Core.Catalog;
using Microsoft.Win32.SafeHandles;
using FileVault.Core.Storage;

namespace FileVault.Core.Scanning;

/// <summary>What the scanner learns about one directory entry from readdir(3) and statx(2).</summary>
internal readonly record struct RawEntry(
    byte[] NameBytes,
    EntryKind Kind,
    long Size,
    long ModifiedTicks,
    ulong Device,
    ulong Inode);

/// <summary>
/// Lists a directory with opendir/readdir and stats each entry with statx relative to the directory's fd, without
/// following symlinks. .NET's enumeration hides inodes and turns names that are not UTF-8 into U+FFFD, which
/// makes those files impossible to address again; this keeps the raw bytes. The structures read here (dirent64 on
/// 64-bit glibc, struct statx) have the same layout on x86-64 and arm64.
/// </summary>
internal static unsafe partial class NativeDirectory
{
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const int AtStatxDontSync = 0x4000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxBufferSize = 256;
    private const int DirentNameOffset = 19;
    private const byte DtDir = 4;
    private const byte DtReg = 8;
    private const byte DtLnk = 10;
    private const byte DtUnknown = 0;


    /// <summary>Reads every entry of <paramref name="directory"/> into <paramref name="entries"/>; returns 0 or the errno that stopped it.</summary>
    public static int List(byte[] directory, List<RawEntry> entries)
    {
        if (NativeDirectoryFaults.Any && NativeDirectoryFaults.For(Encoding.UTF8.GetString(directory.AsSpan(0, directory.Length - 1))) is { } injected)
        {
            return injected;
        }

        nint dir;
        fixed (byte* path = directory)
        {
            dir = opendir(path);
        }

        if (dir == 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        try
        {
            var fd = dirfd(dir);
            Span<byte> statx = stackalloc byte[StatxBufferSize];
            while (true)
            {
                var dirent = readdir(dir);
                if (dirent == 0)
                {
                    return Marshal.GetLastPInvokeError();
                }

                var name = (byte*)dirent + DirentNameOffset;
                var length = new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0);
                if (length is 1 && name[0] == '.' || length is 2 && name[0] == '.' && name[1] == '.')
                {
                    continue;
                }

                var type = *((byte*)dirent + 18);
                int rc;
                fixed (byte* buffer = statx)
                {
                    rc = Statx(fd, name, AtSymlinkNoFollow | AtStatxDontSync, StatxBasicStats, buffer);
                }

                if (rc != 0)
                {
                    // Vanished between readdir and statx: it is simply not there any more.
                    continue;
                }

                var nameBytes = new ReadOnlySpan<byte>(name, length).ToArray();
                entries.Add(ToRawEntry(nameBytes, statx, type));
            }
        }
        finally
        {
            _ = closedir(dir);
        }
    }

    /// <summary>statx of a path (not following a final symlink); null when it cannot be stat'ed.</summary>
    public static RawEntry? Stat(byte[] path)
    {
        Span<byte> statx = stackalloc byte[StatxBufferSize];
        int rc;
        fixed (byte* p = path)
        fixed (byte* buffer = statx)
        {
            rc = Statx(-100 /* AT_FDCWD */, p, AtSymlinkNoFollow | AtStatxDontSync, StatxBasicStats, buffer);
        }

        return rc == 0 ? ToRawEntry([], statx, DtUnknown) : null;
    }

    /// <summary>
    /// statx of an open file, like fstat: what it is now, and its modification time in nanoseconds since 1970 (the entry
    /// keeps microseconds, as the catalog does); null when it cannot be stat'ed.
    /// </summary>
    public static (RawEntry Entry, long ModifiedNanos)? Stat(SafeFileHandle handle)
    {
        Span<byte> statx = stackalloc byte[StatxBufferSize];
        byte emptyPath = 0;
        int rc;
        fixed (byte* buffer = statx)
        {
            rc = StatxOfHandle(handle, &emptyPath, AtEmptyPath | AtStatxDontSync, StatxBasicStats, buffer);
        }

        if (rc != 0)
        {
            return null;
        }

        var nanos = (MemoryMarshal.Read<long>(statx[112..]) * 1_000_000_000) + MemoryMarshal.Read<uint>(statx[120..]);
        return (ToRawEntry([], statx, DtUnknown), nanos);
    }

    /// <summary>The target stored in a symlink, or null.</summary>
    public static string? ReadLink(byte[] path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        nint length;
        fixed (byte* p = path)
        fixed (byte* b = buffer)
        {
            length = readlink(p, b, buffer.Length);
        }

        return length <= 0 ? null : EntryName.Display(buffer[..(int)length]);
    }

    /// <summary>Kept for callers outside Storage that name it here; the mapping is <see cref="NativeFileSystem.ErrnoName"/>.</summary>
    public static string ErrnoName(int errno) => NativeFileSystem.ErrnoName(errno);

    private static RawEntry ToRawEntry(byte[] name, ReadOnlySpan<byte> statx, byte direntType)
    {
        var mode = MemoryMarshal.Read<ushort>(statx[28..]);
        var kind = (mode & 0xF000) switch
        {
            0x4000 => EntryKind.Directory,
            0x8000 => EntryKind.File,
            0xA000 => EntryKind.Symlink,
            _ when direntType == DtDir => EntryKind.Directory,
            _ when direntType == DtReg => EntryKind.File,
            _ when direntType == DtLnk => EntryKind.Symlink,
            _ => EntryKind.Other,
        };
        var size = (long)MemoryMarshal.Read<ulong>(statx[40..]);
        var mtimeSeconds = MemoryMarshal.Read<long>(statx[112..]);
        var mtimeNanos = MemoryMarshal.Read<uint>(statx[120..]);
        // PostgreSQL keeps microseconds: truncate here so "changed" compares like with like.
        var ticks = DateTime.UnixEpoch.Ticks + (mtimeSeconds * TimeSpan.TicksPerSecond) + (mtimeNanos / 1000 * 10);
        var major = MemoryMarshal.Read<uint>(statx[136..]);
        var minor = MemoryMarshal.Read<uint>(statx[140..]);
        // glibc's makedev, so the value equals stat(2)'s st_dev recorded at registration.
        var device = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        var inode = MemoryMarshal.Read<ulong>(statx[32..]);
        return new RawEntry(name, kind, kind == EntryKind.Directory ? 0 : size, ticks, device, inode);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint opendir(byte* name);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);

    [LibraryImport("libc")]
    private static partial int dirfd(nint dir);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int StatxOfHandle(SafeFileHandle fd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readlink(byte* path, byte* buffer, nint size);
}

/// <summary>
/// Test hook: errors to fail listed directories with, by absolute path. Tests run in parallel, each on its own temp
/// root, so faults are per path, never global. Empty in production (one volatile read per directory).
/// </summary>
internal static class NativeDirectoryFaults
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<int?>> Faults = new(StringComparer.Ordinal);

    public static bool Any => !Faults.IsEmpty;

    /// <summary>When the scanner lists <paramref name="directory"/>, <paramref name="fault"/> runs and its errno (if any) is returned.</summary>
    public static void Set(string directory, Func<int?> fault) => Faults[directory] = fault;

    public static int? For(string directory) => Faults.TryGetValue(directory, out var fault) ? fault() : null;

    public static void ClearUnder(string root)
    {
        foreach (var key in Faults.Keys.Where(k => k == root || k.StartsWith(root + "/", StringComparison.Ordinal)))
        {
            Faults.TryRemove(key, out _);
        }
    }
}
