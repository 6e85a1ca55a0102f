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

        // struct statvfs on 64-bit Linux: f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, … each 8 bytes; sizes count f_frsize units.
        var fragment = MemoryMarshal.Read<long>(buffer.Slice(8, 8));
        var device = UnixFileStat.TryGet(path)?.Device ?? 0;
        // glibc's gnu_dev_major/minor.
        var major = (int)(((device >> 8) & 0xfff) | ((device >> 32) & ~0xfffUL));
        var minor = (int)((device & 0xff) | ((device >> 12) & ~0xffUL));
        return new FileSystemSpace(
            MemoryMarshal.Read<long>(buffer.Slice(16, 8)) * fragment,
            MemoryMarshal.Read<long>(buffer.Slice(24, 8)) * fragment,
            MemoryMarshal.Read<long>(buffer.Slice(32, 8)) * fragment,
            major, minor);
    }
}

internal static unsafe partial class StatVfs
{
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int statvfs(string path, byte* buffer);
}
