using FileVault.Core.Storage;

namespace FileVault.Core.Uploads;

/// <summary>
/// Where upload bytes wait: <c>&lt;root&gt;/.filevault-staging/&lt;id&gt;</c>, on the same file system as the root, so
/// completion is one rename. The folder is 0700 and each file 0600 whatever the umask (R-UP-11); the name is reserved,
/// so no user path, scan or search reaches it (R-PATH-5, R-UP-7).
/// </summary>
internal static class StagingArea
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string PathOf(string rootPath, string uploadId) => Path.Combine(rootPath, PathGuard.StagingDirectoryName, uploadId);

    /// <summary>Creates the empty staging file exclusively (never through a link, R-LINK-3); null, or the failure.</summary>
    public static Error? Create(string rootPath, string uploadId)
    {
        var folder = Path.Combine(rootPath, PathGuard.StagingDirectoryName);
        var errno = NativeFileSystem.CreateDirectory(folder, NativeFileSystem.PrivateFolderMode);
        if (errno != 0 && errno != NativeFileSystem.EExist)
        {
            return IoError(errno);
        }

        // A link planted at the staging name would send uploads elsewhere: only a real folder of ours is used.
        var info = new DirectoryInfo(folder);
        if (info.LinkTarget is not null || !info.Exists)
        {
            return new Error("io.failed", "The upload staging folder is not a plain folder; nothing was stored.");
        }

        var path = PathOf(rootPath, uploadId);
        using (new FileStream(path, System.IO.FileMode.CreateNew, FileAccess.Write))
        {
        }

        errno = NativeFileSystem.SetMode(folder, NativeFileSystem.PrivateFolderMode);
        errno = errno != 0 ? errno : NativeFileSystem.SetMode(path, FileMode);
        return errno == 0 ? null : IoError(errno);
    }

    /// <summary>Opens the staging file to append, never through a link; null when it is gone.</summary>
    public static FileStream? OpenForWrite(string rootPath, string uploadId)
    {
        var path = PathOf(rootPath, uploadId);
        if (new FileInfo(path) is not { Exists: true, LinkTarget: null })
        {
            return null;
        }

        // Unbuffered: the PATCH writes large blocks straight through (no copy into a 4 KiB buffer first).
        return new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.Open, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 });
    }

    /// <summary>Removes a staging file (the link itself, were it one); true when it existed.</summary>
    public static bool Delete(string rootPath, string uploadId)
    {
        var path = PathOf(rootPath, uploadId);
        var existed = NativeFileSystem.LinkExists(path);
        File.Delete(path);
        return existed;
    }

    private static Error IoError(int errno) =>
        new("io.failed", $"The upload staging folder cannot be created ({Scanning.NativeDirectory.ErrnoName(errno)}).");
}
