using System.Runtime.InteropServices;

namespace FileVault.Core.Operations;

/// <summary>
/// The two system calls operations need and .NET does not offer: mkdir that fails when the name exists (no silent
/// success, no following a dangling symlink) and rename that never replaces (renameat2 with RENAME_NOREPLACE), so a
/// name conflict is decided by the kernel at the moment of the change, not by an earlier check (R-LINK-3).
/// </summary>
internal static partial class NativeFileSystem
{
    public const int EExist = 17;
    private const int AtFdCwd = -100;
    private const uint RenameNoReplaceFlag = 1;

    /// <summary>0, or the errno.</summary>
    public static int CreateDirectory(string path, UnixFileMode mode)
    {
        var rc = mkdir(path, (uint)mode);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>0, or the errno (EEXIST when the target name is taken, even by a dangling symlink).</summary>
    public static int RenameNoReplace(string from, string to)
    {
        var rc = renameat2(AtFdCwd, from, AtFdCwd, to, RenameNoReplaceFlag);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
