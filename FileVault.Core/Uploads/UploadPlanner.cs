using System.Collections.Immutable;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Uploads;

/// <summary>What one user may still send: the largest file, and what the per-user limits leave of unfinished uploads.</summary>
public sealed record UploadLimits(long MaxFileBytes, long StagingBytesLeft, int UploadsLeft);

/// <summary>What the preflight says of one path: whether an upload to it can go ahead as it is.</summary>
public enum UploadPathState
{
    /// <summary>Nothing holds the name (or its folders do not exist yet, or exist and merge).</summary>
    Free,
    /// <summary>A file or folder the user may read holds the name; <see cref="UploadPathAnswer.Replaceable"/> says whether replace is allowed.</summary>
    Taken,
    /// <summary>Something the user may not see holds the name or one of its folders, or a folder there may not be written: only skip or keep both.</summary>
    Unavailable,
    /// <summary>The path guard refuses the path itself; <see cref="UploadPathAnswer.Code"/> says why.</summary>
    Invalid,
}

/// <summary>The preflight's answer for one relative path, as it was asked.</summary>
public sealed record UploadPathAnswer(string Path, UploadPathState State, bool Replaceable, bool IsFolder, string? Code);

/// <summary>
/// What the browser asks before it sends a byte: the limits to show, which of the names it is about to upload are taken
/// (so the user chooses skip or keep both first; folders merge), a free "name (1).ext", and the empty folders of a
/// folder upload, which carry no file to create them and are made as new folder makes them.
/// </summary>
public sealed class UploadPlanner(
    IDbContextFactory<FileVaultDbContext> contexts,
    AccessEvaluator access,
    EntryOperations operations,
    WriteAccess writeAccess,
    IOptions<UploadOptions> options,
    TimeProvider time)
{
    public async Task<UploadLimits> LimitsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var settings = options.Value;
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var open = db.Uploads.Where(u => u.OwnerId == actor.UserId && u.Status == UploadStatus.Receiving && u.ExpiresAt > now);
        var count = await open.CountAsync(cancellationToken);
        var staged = await open.SumAsync(u => u.Length, cancellationToken);
        return new UploadLimits(settings.MaxSizeBytes, Math.Max(0, settings.MaxStagingBytesPerUser - staged), Math.Max(0, settings.MaxConcurrentPerUser - count));
    }

    /// <summary>The most paths one preflight may ask about.</summary>
    public const int MaxPreflightPaths = 20_000;

    /// <summary>
    /// Before any byte is sent: for each path of a drop or pick ("a/b/c.txt" under <paramref name="folderId"/>), whether
    /// its name is free, taken by something the user may read (and whether WriteAccess lets them replace it), or
    /// unavailable. The destination must be readable (else <c>entry.not_found</c>, as for a folder that does not exist)
    /// and writable. A path under a folder the user may not read is unavailable whatever that folder holds, so the answer
    /// reveals nothing of its contents; a name held by an entry the user may not read is only unavailable, never its
    /// kind. Advice, not a promise: the upload's creation and completion check everything again.
    /// </summary>
    public async Task<Result<IReadOnlyList<UploadPathAnswer>>> PreflightAsync(
        AccessSubject actor, long folderId, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count > MaxPreflightPaths)
        {
            return new Error("upload.preflight_too_many", $"Ask about at most {MaxPreflightPaths} paths at once.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!found.IsSuccess)
        {
            return found.Error!;
        }

        var (destination, root) = found.Value;
        if (await writeAccess.ToAddIntoAsync(actor, root.Id, destination.RelativePath, cancellationToken) is { } refused)
        {
            return refused;
        }

        var levels = new Dictionary<string, Level>(StringComparer.Ordinal) { [""] = new(destination.Id, destination.RelativePath, false) };
        var answers = new UploadPathAnswer?[paths.Count];
        // The files to look up, by the folder they land in.
        var byLevel = new Dictionary<Level, List<(int Index, string Name)>>();
        for (var i = 0; i < paths.Count; i++)
        {
            var parsed = PathGuard.Parse(paths[i] ?? "");
            if (!parsed.IsSuccess || parsed.Value.IsRoot)
            {
                answers[i] = new(paths[i] ?? "", UploadPathState.Invalid, false, false, parsed.Error?.Code ?? "path.empty");
                continue;
            }

            var components = parsed.Value.Components;
            var level = await LevelAsync(db, actor, root.Id, levels, components[..^1], cancellationToken);
            if (level.Blocked)
            {
                answers[i] = new(paths[i], UploadPathState.Unavailable, false, false, null);
            }
            else if (level.FolderId is null)
            {
                answers[i] = new(paths[i], UploadPathState.Free, false, false, null);
            }
            else
            {
                if (!byLevel.TryGetValue(level, out var files))
                {
                    byLevel[level] = files = [];
                }

                files.Add((i, components[^1]));
            }
        }

        foreach (var (level, files) in byLevel)
        {
            var keys = files.Select(f => EntryName.Key(f.Name)).Distinct().ToList();
            var holders = await db.Entries.AsNoTracking()
                .Where(e => e.ParentId == level.FolderId && e.State == EntryState.Active && keys.Contains(e.NameKey))
                .Select(e => new { e.NameKey, e.Kind, e.RelativePath })
                .ToListAsync(cancellationToken);
            var byKey = holders.GroupBy(h => h.NameKey).ToDictionary(g => g.Key, g => g.First());
            foreach (var (index, name) in files)
            {
                if (!byKey.TryGetValue(EntryName.Key(name), out var holder))
                {
                    answers[index] = new(paths[index], UploadPathState.Free, false, false, null);
                }
                else if (!await access.CanReadAsync(actor, root.Id, holder.RelativePath, cancellationToken))
                {
                    answers[index] = new(paths[index], UploadPathState.Unavailable, false, false, null);
                }
                else
                {
                    // A file never replaces a folder.
                    var isFolder = holder.Kind == EntryKind.Directory;
                    var replaceable = !isFolder && await writeAccess.ToReplaceAsync(actor, root.Id, holder.RelativePath, name, cancellationToken) is null;
                    answers[index] = new(paths[index], UploadPathState.Taken, replaceable, isFolder, null);
                }
            }
        }

        return answers.Select(a => a!).ToList();
    }

    /// <summary>
    /// A folder level of the drop below the destination: the existing folder the files merge into, none yet (made at
    /// completion; everything below is free), or blocked (held by a file or by an entry the user may not read, or a
    /// folder they may not write into).
    /// </summary>
    private sealed record Level(long? FolderId, string? Path, bool Blocked);

    private async Task<Level> LevelAsync(
        FileVaultDbContext db, AccessSubject actor, int rootId, Dictionary<string, Level> levels, ImmutableArray<string> components, CancellationToken cancellationToken)
    {
        var key = string.Join('/', components);
        if (levels.TryGetValue(key, out var known))
        {
            return known;
        }

        var parent = await LevelAsync(db, actor, rootId, levels, components[..^1], cancellationToken);
        Level level;
        if (parent.Blocked || parent.FolderId is null)
        {
            level = parent;
        }
        else
        {
            var nameKey = EntryName.Key(components[^1]);
            var holder = await db.Entries.AsNoTracking()
                .ActiveNamed(parent.FolderId, nameKey)
                .Select(e => new { e.Id, e.Kind, e.RelativePath })
                .FirstOrDefaultAsync(cancellationToken);
            level = holder switch
            {
                null => new Level(null, null, false),
                { Kind: EntryKind.Directory } when await access.CanReadAsync(actor, rootId, holder.RelativePath, cancellationToken)
                    && await access.CanWriteAsync(actor, rootId, holder.RelativePath, cancellationToken) => new Level(holder.Id, holder.RelativePath, false),
                _ => new Level(null, null, true),
            };
        }

        levels[key] = level;
        return level;
    }

    /// <summary>
    /// <paramref name="relativePath"/> ("a/b/c.txt" under <paramref name="folderId"/>) with its last name made free:
    /// "c (1).txt", "c (2).txt", …, the first its folder does not hold; the path as it is when that folder does not exist yet.
    /// </summary>
    public async Task<Result<string>> FreePathAsync(AccessSubject actor, long folderId, string relativePath, CancellationToken cancellationToken)
    {
        var parsed = PathGuard.Parse(relativePath ?? "");
        if (!parsed.IsSuccess || parsed.Value.IsRoot)
        {
            return parsed.Error ?? new Error("path.empty", "The path is empty.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var folder = await FolderLookup.FindReadableAsync(db, access, actor, folderId, cancellationToken);
        if (!folder.IsSuccess)
        {
            return folder.Error!;
        }

        var components = parsed.Value.Components;
        var levels = new Dictionary<string, Level>(StringComparer.Ordinal) { [""] = new(folderId, folder.Value.Folder.RelativePath, false) };
        var level = await LevelAsync(db, actor, folder.Value.Root.Id, levels, components[..^1], cancellationToken);
        var name = components[^1];
        if (level.FolderId is null)
        {
            return level.Blocked ? WriteAccess.Unavailable(name) : parsed.Value.ToString();
        }

        var stem = EntryName.Key(Path.GetFileNameWithoutExtension(name));
        var siblings = await db.Entries.AsNoTracking()
            .Where(e => e.ParentId == level.FolderId && e.State == EntryState.Active && e.NameKey.StartsWith(stem))
            .Select(e => e.NameKey)
            .ToListAsync(cancellationToken);
        var taken = siblings.ToHashSet(StringComparer.Ordinal);
        var free = CatalogChanges.KeepBothName(name, isFolder: false, candidate => taken.Contains(EntryName.Key(candidate)));
        return string.Join('/', components[..^1].Append(free));
    }

    /// <summary>
    /// The folder <paramref name="relativePath"/> ("a/b/empty") under <paramref name="folderId"/>, each missing level made
    /// through new folder (access, path guard, job, lock, catalog); levels already there are merged into. Its entry id.
    /// </summary>
    public async Task<Result<long>> EnsureFolderAsync(AccessSubject actor, long folderId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var parent = folderId;
        foreach (var name in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var key = EntryName.Key(name);
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                var existing = await db.Entries.AsNoTracking()
                    .ActiveNamed(parent, key)
                    .Select(e => new { e.Id, e.Kind })
                    .FirstOrDefaultAsync(cancellationToken);
                if (existing is { Kind: EntryKind.Directory })
                {
                    parent = existing.Id;
                    continue;
                }

                if (existing is not null)
                {
                    return new Error("name.conflict", $"\"{name}\" exists in this folder and is not a folder.");
                }
            }

            var created = await operations.CreateFolderAsync(actor, parent, name, idempotencyKey: null, cancellationToken);
            if (!created.IsSuccess)
            {
                return created.Error!;
            }

            parent = created.Value;
        }

        return parent;
    }
}
