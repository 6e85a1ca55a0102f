using System.Runtime.InteropServices;
using FileVault.Core.Storage;

namespace FileVault.Core.Monitoring;

/// <summary>Size and free space of the file system holding a path (statvfs(3)), and its device's major:minor for /proc/diskstats.</summary>
public sealed record FileSystemSpace(long TotalBytes, long FreeBytes, long AvailableBytes, int Major, int Minor)
{
    public long UsedBytes => TotalBytes - FreeBytes;

    public static FileSystemSpace? Of(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        unsafe
        {
            fixed (byte* p = buffer)
            {
                if (StatVfs.statvfs(path, p) != 0)
                {
                    return null;
                }
            }
        }

        return FromStatVfs(buffer, UnixFileStat.TryGet(path)?.Device ?? 0);
    }

    /// <summary>Reads a <c>struct statvfs</c> as 64-bit Linux lays it out, with the path's <c>st_dev</c>.</summary>
    public static FileSystemSpace FromStatVfs(ReadOnlySpan<byte> statvfs, ulong device)
    {
        // f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, … each 8 bytes; sizes count f_frsize units.
        var fragment = MemoryMarshal.Read<long>(statvfs.Slice(8, 8));
        var (major, minor) = DeviceNumbers(device);
        return new FileSystemSpace(
            MemoryMarshal.Read<long>(statvfs.Slice(16, 8)) * fragment,
            MemoryMarshal.Read<long>(statvfs.Slice(24, 8)) * fragment,
            MemoryMarshal.Read<long>(statvfs.Slice(32, 8)) * fragment,
            major, minor);
    }

    /// <summary>A device number's major and minor, as glibc's gnu_dev_major/minor split it (the pair /proc/diskstats lists).</summary>
    public static (int Major, int Minor) DeviceNumbers(ulong device) =>
        ((int)(((device >> 8) & 0xfff) | ((device >> 32) & ~0xfffUL)), (int)((device & 0xff) | ((device >> 12) & ~0xffUL)));
}

internal static unsafe partial class StatVfs
{
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int statvfs(string path, byte* buffer);
}
