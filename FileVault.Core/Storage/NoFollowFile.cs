using System.Runtime.InteropServices;
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

    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>
    /// Opens <paramref name="path"/> (absolute, every folder on the way already resolved to its real path), or returns
    /// null and why: an errno (ENOENT gone, ELOOP a link at the name, EACCES, ...) or <see cref="Moved"/>.
    /// </summary>
    public static SafeFileHandle? TryOpen(string path, out int error)
    {
        var fd = open(path, ORdOnly | ONonBlock | OCloExec | ONoFollow);
        if (fd < 0)
        {
            error = Marshal.GetLastPInvokeError();
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (new FileInfo($"/proc/self/fd/{fd}").LinkTarget != path)
        {
            handle.Dispose();
            error = Moved;
            return null;
        }

        error = 0;
        return handle;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);
}
