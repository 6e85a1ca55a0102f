using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Uploads;

/// <summary>
/// Where an upload goes, checked for the acting user: the destination folder (by id, readable, a folder), the folder the
/// file lands in writable, and every name to create through the path guard in NFC (R-UP-4, R-PATH-1..5). Asked at
/// creation and again at completion, since the folder may have moved, gone or changed grants in between.
/// </summary>
/// <param name="Subfolders">Folders to create (or reuse) under <paramref name="Folder"/>, "a/b"; null for none.</param>
internal sealed record UploadTarget(StorageRoot Root, Entry Folder, string? Subfolders, string Name)
{
    /// <summary>The folder the file lands in, relative to the root, as the catalog spells the destination.</summary>
    public string ParentPath => Join(Folder.RelativePath, Subfolders);

    public static async Task<Result<UploadTarget>> ResolveAsync(
        IDbContextFactory<FileVaultDbContext> contexts, AccessEvaluator access, AccessSubject actor, long folderId, string? fileName, string? relativePath,
        CancellationToken cancellationToken)
    {
        var names = Names(fileName, relativePath);
        if (!names.IsSuccess)
        {
            return names.Error!;
        }

        var components = names.Value;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        var (folder, root) = found.Value;
        var subfolders = components.Length > 1 ? string.Join('/', components[..^1]) : null;
        var target = new UploadTarget(root, folder, subfolders, components[^1]);
        if (!await access.CanWriteAsync(actor, root.Id, folder.RelativePath, cancellationToken)
            || !await access.CanWriteAsync(actor, root.Id, target.ParentPath, cancellationToken))
        {
            return new Error("auth.forbidden", "You may not upload into this folder.");
        }

        // The whole path's spelling and length, and the destination on disk: an existing folder inside the root.
        var whole = PathGuard.Parse(Join(target.ParentPath, target.Name));
        if (!whole.IsSuccess)
        {
            return whole.Error!;
        }

        var folderPath = PathGuard.Parse(folder.RelativePath);
        if (!folderPath.IsSuccess)
        {
            return folderPath.Error!;
        }

        // Subfolders that exist are asked again as spelled on disk: one made on a Mac is spelled in NFD, and its grants
        // (a deny) sit on that spelling, which the NFC path above does not match.
        var spelled = folder.RelativePath;
        foreach (var component in components[..^1])
        {
            var next = PathGuard.Parse(Join(spelled, component));
            var onDiskFolder = next.IsSuccess ? PathGuard.ResolveExisting(root.Path, next.Value) : next.Error!;
            if (!onDiskFolder.IsSuccess)
            {
                break;
            }

            spelled = Join(spelled, Path.GetFileName(onDiskFolder.Value));
            if (!await access.CanWriteAsync(actor, root.Id, spelled, cancellationToken))
            {
                return new Error("auth.forbidden", "You may not upload into this folder.");
            }
        }

        var onDisk = PathGuard.ResolveForCreate(root.Path, folderPath.Value, components[0]);
        return onDisk.IsSuccess ? target : onDisk.Error!;
    }

    /// <summary>The names to create, NFC, each one a name FileVault may create: the relative path's, or the file name alone.</summary>
    private static Result<string[]> Names(string? fileName, string? relativePath)
    {
        string[] raw;
        if (!string.IsNullOrEmpty(relativePath))
        {
            var parsed = PathGuard.Parse(relativePath);
            if (!parsed.IsSuccess)
            {
                return parsed.Error!;
            }

            raw = [.. parsed.Value.Components];
        }
        else if (fileName is null)
        {
            return new Error("upload.metadata_invalid", "Upload-Metadata must name the file (filename) or its relativePath.");
        }
        else
        {
            raw = [fileName];
        }

        var names = new string[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var name = PathGuard.CheckNewName(raw[i]);
            if (!name.IsSuccess)
            {
                return name.Error!;
            }

            names[i] = name.Value;
        }

        return names;
    }

    public static string Join(string folder, string? rest) => string.IsNullOrEmpty(rest) ? folder : folder.Length == 0 ? rest : folder + "/" + rest;
}

/// <summary>
/// A target resolved earlier in the same request (a file sent whole with its creation), with the <see cref="AccessVersion"/>
/// read before its checks and when they ran.
/// </summary>
internal sealed record CheckedTarget(UploadTarget Target, long Version, long At)
{
    /// <summary>
    /// Whether asking again would give the same answers: no grant, group, role or account change since (the version has
    /// not moved) and within <see cref="AccessEvaluator.MaxCacheAge"/>, the time the request's own evaluator keeps its
    /// answers, so the permissions asked again would come from that cache anyway. What else the check read (the folder's
    /// row) the placing reads again under the path lock.
    /// </summary>
    public bool IsCurrent(AccessVersion version, TimeProvider time) =>
        version.Current == Version && time.GetElapsedTime(At) < AccessEvaluator.MaxCacheAge;
}
