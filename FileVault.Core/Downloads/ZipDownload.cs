using FileVault.Core.Access;
using FileVault.Core.Operations;

namespace FileVault.Core.Downloads;

/// <summary>
/// A ZIP download checked and planned (<see cref="DownloadService.PrepareZipAsync"/>): what goes in, in the order asked,
/// and the archive's name; <see cref="DownloadService.WriteZipAsync"/> sends it.
/// </summary>
public sealed class ZipDownload
{
    internal ZipDownload(AccessSubject actor, string fileName, IReadOnlyList<ZipItem> items)
    {
        Actor = actor;
        FileName = fileName;
        Items = items;
    }

    /// <summary>The archive's name, ".zip" included, in NFC.</summary>
    public string FileName { get; }

    public int ItemCount => Items.Count;

    internal AccessSubject Actor { get; }

    internal IReadOnlyList<ZipItem> Items { get; }
}

/// <summary>One selected entry of a ZIP download: its root, the real path of its folder, and the entry (its catalog path for access checks).</summary>
internal sealed record ZipItem(int RootId, string RootName, string Folder, CompressSource Source);
