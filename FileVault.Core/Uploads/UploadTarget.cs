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
/// <param name="Holder">What held the file's name in <paramref name="Folder"/> when it was read (null: nothing): the
/// creation's check of a taken name, when the file lands in the folder itself. The completion asks again under the lock.</param>
internal sealed record UploadTarget(StorageRoot Root, Entry Folder, string? Subfolders, string Name, NameHolding? Holder = null)
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
        // One round trip for what the evaluator and the creation's checks would each ask apart: the folder with its root
        // (FolderLookup's question), what holds the file's name in it (two scalar subqueries, each one probe of the browse
        // index, both sort groups named as EntryQueries.ActiveNamed does), and the grants that decide the user's access to
        // the folder, which the evaluator keeps as its answer (AccessEvaluator.Remember): those of the user and their
        // groups on the folder and on each ancestor, matched on whole components (R-PATH-3: the folder itself, the root "",
        // or a path that is the folder's own path cut just before a '/'), none for an administrator.
        var key = EntryName.Key(components[^1]);
        var userId = actor.UserId;
        var administrator = actor.IsAdministrator;
        var readUnder = access.Mark();
        var row = await db.Entries.AsNoTracking().Where(e => e.Id == folderId && e.State == EntryState.Active)
            .Join(db.StorageRoots.AsNoTracking(), e => e.RootId, r => r.Id, (e, r) => new { Folder = e, Root = r })
            .Select(x => new
            {
                x.Folder,
                x.Root,
                HolderPath = db.Entries
                    .Where(h => h.ParentId == x.Folder.Id && EntryQueries.BothSortGroups.Contains(h.SortGroup) && h.NameKey == key && h.State == EntryState.Active)
                    .Select(h => h.RelativePath).FirstOrDefault(),
                HolderKind = db.Entries
                    .Where(h => h.ParentId == x.Folder.Id && EntryQueries.BothSortGroups.Contains(h.SortGroup) && h.NameKey == key && h.State == EntryState.Active)
                    .Select(h => (EntryKind?)h.Kind).FirstOrDefault(),
                Grants = db.FolderGrants
                    .Where(g => !administrator && g.RootId == x.Folder.RootId
                        && (g.RelativePath == "" || g.RelativePath == x.Folder.RelativePath
                            || x.Folder.RelativePath.Substring(0, g.RelativePath.Length + 1) == g.RelativePath + "/")
                        && (g.UserId == userId || db.GroupMembers.Any(m => m.UserId == userId && m.GroupId == g.GroupId)))
                    .Select(g => new GrantView(g.Id, g.RootId, g.RelativePath, new GrantPrincipal(g.UserId, g.GroupId, ""), g.Permissions, g.Effect, g.CreatedAt))
                    .ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (row is not null)
        {
            access.Remember(actor, row.Root, row.Folder.RelativePath, row.Grants, readUnder);
        }

        var found = await FolderLookup.ReadableAsync(access, actor, row?.Folder, row?.Root, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        var (folder, root) = found.Value;
        var subfolders = components.Length > 1 ? string.Join('/', components[..^1]) : null;
        var holder = subfolders is null && row!.HolderPath is { } holderPath && row.HolderKind is { } holderKind ? new NameHolding(holderPath, holderKind) : null;
        var target = new UploadTarget(root, folder, subfolders, components[^1], holder);
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

/// <summary>The entry holding a name in a folder: its path and kind.</summary>
internal sealed record NameHolding(string RelativePath, EntryKind Kind);

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
