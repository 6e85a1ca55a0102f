using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FileVault.Core.Storage;

/// <summary>
/// Opens a file for reading as R-LINK-2 asks, check and open in one: a link standing at the name is refused, not
/// followed (O_NOFOLLOW), a FIFO swapped in cannot hang the read (O_NONBLOCK), and the opened file's real path
/// (<c>/proc/self/fd/N</c>) must be exactly the path asked for, so no folder on the way was replaced by a link since the
/// path was resolved. Downloads, ZIPs and compress jobs read through it.
/// </summary>
internal static partial class NoFollowFile
{
    public const int ENoEnt = 2;
    public const int ELoop = 40;

    /// <summary>Not an errno: what was opened is no longer the file at the path (a folder on the way moved or became a link).</summary>
    public const int Moved = -1;

    private const int StackLimit = 1024;
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>
    /// Opens <paramref name="path"/> (absolute, every folder on the way already resolved to its real path), or returns
    /// null and why: an errno (ENOENT gone, ELOOP a link at the name, EACCES, ...) or <see cref="Moved"/>.
    /// </summary>
    public static unsafe SafeFileHandle? TryOpen(string path, out int error)
    {
        // The path in UTF-8 once, for open(2) and for the comparison with what the kernel says was opened; no string or
        // FileInfo per file (the duplicate finder opens tens of thousands in a row).
        var size = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        var rented = size > StackLimit ? ArrayPool<byte>.Shared.Rent(size) : null;
        try
        {
            Span<byte> utf8 = rented is null ? stackalloc byte[StackLimit] : rented;
            var length = Encoding.UTF8.GetBytes(path, utf8);
            utf8[length] = 0;
            int fd;
            fixed (byte* name = utf8)
            {
                fd = open(name, ORdOnly | ONonBlock | OCloExec | ONoFollow);
            }

            if (fd < 0)
            {
                error = Marshal.GetLastPInvokeError();
                return null;
            }

            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (!OpenedIs(fd, utf8[..length]))
            {
                handle.Dispose();
                error = Moved;
                return null;
            }

            error = 0;
            return handle;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Whether /proc/self/fd/<paramref name="fd"/> names exactly <paramref name="expected"/> (a longer target fills the buffer and differs).</summary>
    private static unsafe bool OpenedIs(int fd, ReadOnlySpan<byte> expected)
    {
        Span<byte> link = stackalloc byte[32];
        "/proc/self/fd/"u8.CopyTo(link);
        fd.TryFormat(link[14..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        link[14 + digits] = 0;
        var size = expected.Length + 1;
        var rented = size > StackLimit ? ArrayPool<byte>.Shared.Rent(size) : null;
        try
        {
            Span<byte> target = rented is null ? stackalloc byte[StackLimit] : rented;
            nint read;
            fixed (byte* l = link)
            fixed (byte* t = target)
            {
                read = readlink(l, t, size);
            }

            return read == expected.Length && target[..(int)read].SequenceEqual(expected);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int open(byte* path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint readlink(byte* path, byte* buffer, nint size);
}
