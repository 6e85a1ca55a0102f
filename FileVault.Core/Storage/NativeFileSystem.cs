using System.Runtime.InteropServices;

namespace FileVault.Core.Storage;

/// <summary>
/// The system calls operations need and .NET does not offer: mkdir that fails when the name exists (no silent
/// success, no following a dangling symlink) and rename that never replaces (renameat2 with RENAME_NOREPLACE), so a
/// name conflict is decided by the kernel at the moment of the change, not by an earlier check (R-LINK-3).
/// </summary>
internal static partial class NativeFileSystem
{
    /// <summary>The mode of a folder FileVault makes for users (new folder, upload, restore): rwxr-xr-x, never the umask's (R-UP-11).</summary>
    public const UnixFileMode NewFolderMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>The mode of a file FileVault makes for users (upload, archive): rw-r--r--.</summary>
    public const UnixFileMode NewFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The mode of FileVault's own folders in a root (trash, upload staging): rwx------, no one else looks in.</summary>
    public const UnixFileMode PrivateFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const int EExist = 17;
    private const int AtFdCwd = -100;
    private const uint RenameNoReplaceFlag = 1;

    /// <summary>The symbolic name of an errno (EACCES, ENOENT, …) for messages and logs; E and the number for the rest.</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        13 => "EACCES",
        20 => "ENOTDIR",
        24 => "EMFILE",
        40 => "ELOOP",
        110 => "ETIMEDOUT",
        116 => "ESTALE",
        _ => "E" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

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

    public const int EXDev = 18;
    public const int ENoEnt = 2;
    private const int OReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY
    private const int AtSymlinkNoFollow = 0x100;

    /// <summary>True when something (a dangling symlink too) has this name; never follows a link.</summary>
    public static bool LinkExists(string path) => faccessat(AtFdCwd, path, 0, AtSymlinkNoFollow) == 0;

    /// <summary>Flushes a folder's entries (a rename into it) to disk; 0 or the errno.</summary>
    public static int SyncDirectory(string path)
    {
        var fd = open(path, OReadOnlyDirectory);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        var rc = fsync(fd);
        var errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        close(fd);
        return errno;
    }

    /// <summary>
    /// The error for a change the kernel refused: a name taken (EEXIST) is a conflict; anything else an I/O failure,
    /// followed by <paramref name="afterwards"/> (what became of the data, e.g. "nothing was changed").
    /// </summary>
    public static Error ChangeRefused(int errno, string name, string afterwards) => errno == EExist
        ? new Error("name.conflict", $"\"{name}\" already exists in this folder.")
        : new Error("io.failed", $"The file system refused the change ({ErrnoName(errno)}); {afterwards}.");

    /// <summary>
    /// Starts writing a range of an open file back to disk without waiting for it (sync_file_range with
    /// SYNC_FILE_RANGE_WRITE): the fsync that follows then waits for what is left, not for everything written since the
    /// last one. Only a hint to the kernel; the fsync is still what makes the data durable.
    /// </summary>
    public static void StartWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long count)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = sync_file_range((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);

    /// <summary>Sets a file's mode exactly, whatever the umask made it (R-UP-11); 0, or the errno.</summary>
    public static int SetMode(string path, UnixFileMode mode) => chmod(path, (uint)mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int faccessat(int dirfd, string path, int mode, int flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
