using System.Runtime.InteropServices;

namespace FileVault.Core.Storage;

/// <summary>Device and inode of a path, from stat(2); .NET exposes neither.</summary>
public readonly record struct UnixFileStat(ulong Device, ulong Inode)
{
    // struct stat on Linux x86_64 and arm64 begins with st_dev and st_ino, both 64-bit.
    private const int StatBufferSize = 256;

    public static UnixFileStat? TryGet(string path)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        unsafe
        {
            fixed (byte* p = buffer)
            {
                if (Native.stat(path, p) != 0)
                {
                    return null;
                }
            }
        }

        return new UnixFileStat(
            MemoryMarshal.Read<ulong>(buffer[..8]),
            MemoryMarshal.Read<ulong>(buffer.Slice(8, 8)));
    }
}

internal static unsafe partial class Native
{
    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int stat(string path, byte* buffer);
}
