using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FileVault.Core.Duplicates;

/// <summary>
/// What identifies one version of a file's content without reading it: size, modification and change times to the
/// nanosecond, device and inode, from fstat(2) of an open handle or lstat(2) of a path (a link is never followed).
/// </summary>
internal readonly partial record struct FileSnapshot(long Size, long MtimeNs, long CtimeNs, long Device, long Inode, bool IsRegularFile)
{
    private const int StatBufferSize = 256;
    private const uint TypeMask = 0xF000;
    private const uint RegularFile = 0x8000;

    // struct stat: st_dev and st_ino first on both; st_mode at 24 (x86_64) or 16 (arm64); st_size at 48 and the
    // times (seconds, nanoseconds) at 88/96 (mtime) and 104/112 (ctime) on both.
    private static readonly int ModeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;

    public static FileSnapshot? Of(SafeFileHandle handle)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        unsafe
        {
            fixed (byte* p = buffer)
            {
                if (Stat.fstat((int)handle.DangerousGetHandle(), p) != 0)
                {
                    return null;
                }
            }
        }

        return Read(buffer);
    }

    public static FileSnapshot? OfLink(string path)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        unsafe
        {
            fixed (byte* p = buffer)
            {
                if (Stat.lstat(path, p) != 0)
                {
                    return null;
                }
            }
        }

        return Read(buffer);
    }

    private static FileSnapshot Read(ReadOnlySpan<byte> b)
    {
        var mode = MemoryMarshal.Read<uint>(b.Slice(ModeOffset, 4));
        return new FileSnapshot(
            MemoryMarshal.Read<long>(b.Slice(48, 8)),
            (MemoryMarshal.Read<long>(b.Slice(88, 8)) * 1_000_000_000) + MemoryMarshal.Read<long>(b.Slice(96, 8)),
            (MemoryMarshal.Read<long>(b.Slice(104, 8)) * 1_000_000_000) + MemoryMarshal.Read<long>(b.Slice(112, 8)),
            (long)MemoryMarshal.Read<ulong>(b[..8]),
            (long)MemoryMarshal.Read<ulong>(b.Slice(8, 8)),
            (mode & TypeMask) == RegularFile);
    }

    public bool Matches(ContentHash stored) =>
        IsRegularFile && stored.Size == Size && stored.MtimeNs == MtimeNs && stored.CtimeNs == CtimeNs && stored.Device == Device && stored.Inode == Inode;

    private static unsafe partial class Stat
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fstat(int fd, byte* buffer);

        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int lstat(string path, byte* buffer);
    }
}
