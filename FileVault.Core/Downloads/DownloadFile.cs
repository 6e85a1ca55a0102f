using Microsoft.Win32.SafeHandles;

namespace FileVault.Core.Downloads;

/// <summary>
/// A file opened for one download, described by the disk at the moment it was opened (fstat of the handle, not the
/// catalog). Dispose it, or give <see cref="OpenContent"/> to a response that disposes the stream.
/// </summary>
public sealed class DownloadFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    internal DownloadFile(SafeFileHandle handle, string name, string? mimeType, long length, DateTimeOffset lastModified, string entityTag,
        string? accelRedirectPath)
    {
        _handle = handle;
        Name = name;
        MimeType = mimeType;
        Length = length;
        LastModified = lastModified;
        EntityTag = entityTag;
        AccelRedirectPath = accelRedirectPath;
    }

    /// <summary>The name as on disk (a name a Mac wrote in NFD stays NFD).</summary>
    public string Name { get; }

    /// <summary>The catalog's MIME type; null when it has none.</summary>
    public string? MimeType { get; }

    public long Length { get; }

    public DateTimeOffset LastModified { get; }

    /// <summary>
    /// A strong entity tag, quoted, from the device, inode, size and modification time in nanoseconds: a file rewritten
    /// or replaced gets another, so a resumed download (If-Range) starts over instead of splicing two files (R-DL-5).
    /// </summary>
    public string EntityTag { get; }

    /// <summary>
    /// Where the file lies under <see cref="DownloadOptions.AccelRedirectRoot"/> ('/'-joined names as on disk), when nginx
    /// should send it; null when the app streams it.
    /// </summary>
    public string? AccelRedirectPath { get; }

    /// <summary>A seekable stream over the opened file, for range requests; disposing it closes the file.</summary>
    public Stream OpenContent() => new FileStream(_handle, FileAccess.Read, bufferSize: 0);

    public void Dispose() => _handle.Dispose();
}
