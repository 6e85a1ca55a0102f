using System.Collections.Concurrent;
using FileVault.Core.Data;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Access;

/// <summary>
/// The one answer to "what may this user do here" (DESIGN invariant 3). Every service asks it with the acting user.
/// </summary>
/// <remarks>
/// <para>Rules. Admins and SuperAdmins hold every permission everywhere, except that a read-only root
/// (<c>StorageRoot.IsReadOnly</c>) lets nobody, admins included, write or delete. Anyone else starts with nothing and
/// gets what the grants of their own and of their groups give, on the folder and its ancestors (whole path components:
/// a grant on <c>Sales</c> covers <c>Sales/2024</c>, not <c>Sales-Confidential</c>; R-PATH-3). Each permission bit is
/// decided on its own by the nearest folder that has a grant mentioning it: a deny there beats an allow there, and a
/// deeper grant beats anything inherited from above. The four bits are independent: Manage does not imply Read.</para>
/// <para>Cost. One SQL query per (user, root, folder) over the index on (root_id, relative_path), cached in this
/// scoped instance (one per request or Blazor circuit) while <see cref="AccessVersion"/> has not moved and for at
/// most <see cref="MaxCacheAge"/>.</para>
/// </remarks>
public sealed class AccessEvaluator(IDbContextFactory<FileVaultDbContext> dbFactory, AccessVersion version, TimeProvider time)
{
    /// <summary>How long a cached answer may live without hearing of a change (covers a missed Redis message).</summary>
    public static readonly TimeSpan MaxCacheAge = TimeSpan.FromSeconds(30);

    // A circuit that checks many paths (a long listing, a big download) must not grow the cache without end.
    private const int MaxCachedAnswers = 10_000;

    private readonly ConcurrentDictionary<(Guid UserId, bool Administrator, int RootId, string Path), CachedPermissions> _cache = new();

    public async Task<EffectivePermissions> GetAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(relativePath);
        var key = (user.UserId, user.IsAdministrator, rootId, relativePath);
        var now = time.GetTimestamp();
        var stamp = version.Current;
        if (_cache.TryGetValue(key, out var cached) && cached.Version == stamp && time.GetElapsedTime(cached.At, now) < MaxCacheAge)
        {
            return cached.Permissions;
        }

        var permissions = (await EvaluateAsync(user, rootId, relativePath, cancellationToken)).Effective;
        if (_cache.Count >= MaxCachedAnswers)
        {
            _cache.Clear();
        }

        _cache[key] = new CachedPermissions(permissions, stamp, now);
        return permissions;
    }

    /// <summary>The same answer as <see cref="GetAsync"/>, never cached, with the grant that decided each bit.</summary>
    public Task<AccessExplanation> ExplainAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(relativePath);
        return EvaluateAsync(user, rootId, relativePath, cancellationToken);
    }

    public async Task<bool> CanReadAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken) =>
        (await GetAsync(user, rootId, relativePath, cancellationToken)).CanRead;

    public async Task<bool> CanWriteAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken) =>
        (await GetAsync(user, rootId, relativePath, cancellationToken)).CanWrite;

    public async Task<bool> CanDeleteAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken) =>
        (await GetAsync(user, rootId, relativePath, cancellationToken)).CanDelete;

    public async Task<bool> CanManageAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken) =>
        (await GetAsync(user, rootId, relativePath, cancellationToken)).CanManage;

    /// <summary>
    /// Whether the user holds every bit of <paramref name="permissions"/> on the entry at <paramref name="relativePath"/>
    /// and on everything below it: what moving, deleting or replacing a folder needs, since the folder takes its whole
    /// subtree along. Permissions only change where a grant sits, so besides the entry itself this checks each folder
    /// below it that carries a grant of the user or their groups mentioning one of the bits.
    /// </summary>
    public async Task<bool> HoldsOnSubtreeAsync(AccessSubject user, int rootId, string relativePath, Permission permissions, CancellationToken cancellationToken)
    {
        if (!(await GetAsync(user, rootId, relativePath, cancellationToken)).Has(permissions))
        {
            return false;
        }

        foreach (var path in await GrantPathsBelowAsync(user, rootId, relativePath, permissions, cancellationToken))
        {
            if (!(await GetAsync(user, rootId, path, cancellationToken)).Has(permissions))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The folders strictly below <paramref name="relativePath"/> that the user may not read, outermost only (a folder
    /// inside one of them is not listed again): what a copy of the folder leaves out. Empty for admins.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnreadableBelowAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        var unreadable = new List<string>();
        foreach (var path in (await GrantPathsBelowAsync(user, rootId, relativePath, Permission.Read, cancellationToken)).Order(StringComparer.Ordinal))
        {
            // Ordinal order puts a folder before everything inside it.
            if (unreadable.Exists(u => path.StartsWith(u + "/", StringComparison.Ordinal)))
            {
                continue;
            }

            if (!(await GetAsync(user, rootId, path, cancellationToken)).CanRead)
            {
                unreadable.Add(path);
            }
        }

        return unreadable;
    }

    /// <summary>
    /// What the user may do with an entry lying in the trash: the grants it took along (now on its trash path) decide
    /// first, then those on the folders it came from. Grants on its old path belong to whatever took that path since.
    /// </summary>
    public async Task<EffectivePermissions> GetTrashedAsync(AccessSubject user, int rootId, string originalPath, string trashPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(originalPath);
        ArgumentNullException.ThrowIfNull(trashPath);
        var parent = originalPath.LastIndexOf('/') is var slash and >= 0 ? originalPath[..slash] : "";
        var ancestors = AncestorsAndSelf(parent);
        return ancestors is null || originalPath.Length == 0
            ? EffectivePermissions.None
            : (await EvaluateAsync(user, rootId, [trashPath, .. ancestors], trashPath, originalPath, cancellationToken)).Effective;
    }

    /// <summary>The distinct paths of the user's (and their groups') grants strictly below a folder that mention any of <paramref name="permissions"/>.</summary>
    private async Task<List<string>> GrantPathsBelowAsync(AccessSubject user, int rootId, string relativePath, Permission permissions, CancellationToken cancellationToken)
    {
        // An admin's permissions are the same everywhere in a root: the folder's own answer covers its subtree.
        if (user.IsAdministrator)
        {
            return [];
        }

        var userId = user.UserId;
        var below = relativePath + "/";
        var after = relativePath + "0";
        var all = relativePath.Length == 0;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.FolderGrants.AsNoTracking()
            .Where(g => g.RootId == rootId && (g.Permissions & permissions) != 0
                && (all ? g.RelativePath != "" : g.RelativePath.CompareTo(below) > 0 && g.RelativePath.CompareTo(after) < 0)
                && (g.UserId == userId || db.GroupMembers.Any(m => m.UserId == userId && m.GroupId == g.GroupId)))
            .Select(g => g.RelativePath)
            .Distinct()
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The folder itself and every ancestor up to the root (""), deepest first, split on whole components. Null for a
    /// spelling no catalog path can have (leading, trailing or doubled '/', "." or ".." components, NUL, which
    /// PostgreSQL text cannot even hold).
    /// </summary>
    public static string[]? AncestorsAndSelf(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Length == 0)
        {
            return [""];
        }

        var components = relativePath.Split('/');
        if (components.Any(c => c is "" or "." or "..") || relativePath.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        var paths = new string[components.Length + 1];
        paths[^1] = "";
        for (var i = 0; i < components.Length; i++)
        {
            paths[components.Length - 1 - i] = string.Join('/', components, 0, i + 1);
        }

        return paths;
    }

    private async Task<AccessExplanation> EvaluateAsync(AccessSubject user, int rootId, string relativePath, CancellationToken cancellationToken)
    {
        var ancestors = AncestorsAndSelf(relativePath);
        return ancestors is null
            ? Explain(Permission.None, _ => (DecisionSource.NotFound, null))
            : await EvaluateAsync(user, rootId, ancestors, null, null, cancellationToken);
    }

    /// <summary>
    /// The rules over the grants on <paramref name="ancestors"/>. A grant on <paramref name="movedFrom"/> (a trashed
    /// entry's own path) counts as if it sat on <paramref name="movedTo"/>, below every other path listed.
    /// </summary>
    private async Task<AccessExplanation> EvaluateAsync(
        AccessSubject user, int rootId, string[] ancestors, string? movedFrom, string? movedTo, CancellationToken cancellationToken)
    {
        var userId = user.UserId;
        var administrator = user.IsAdministrator;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var grants = db.GrantViews(db.FolderGrants.Where(g => !administrator && g.RootId == rootId && ancestors.Contains(g.RelativePath)
            && (g.UserId == userId || db.GroupMembers.Any(m => m.UserId == userId && m.GroupId == g.GroupId))));
        // One round trip: the root's read-only flag and, for non-admins, the grants of the user and their groups on the
        // folder and its ancestors, with the names an explanation shows.
        var found = await db.StorageRoots.AsNoTracking()
            .Where(r => r.Id == rootId)
            .Select(r => new
            {
                r.IsReadOnly,
                Grants = grants.ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return Explain(Permission.None, _ => (DecisionSource.NotFound, null));
        }

        var considered = movedFrom is null ? found.Grants : found.Grants.Select(g => g.RelativePath == movedFrom ? g with { RelativePath = movedTo! } : g).ToList();
        return Decide(administrator, found.IsReadOnly, considered);
    }

    /// <summary>When an answer is read: the access version and the time, taken before the query that reads it.</summary>
    internal readonly record struct ReadMark(long Version, long At);

    /// <summary>The mark to read an answer under, for <see cref="Remember"/>: taken before the caller's query.</summary>
    internal ReadMark Mark() => new(version.Current, time.GetTimestamp());

    /// <summary>
    /// Keeps the answer for a folder whose root and grants a caller read in a query of its own that asks more besides (an
    /// upload's destination with the name's holder), so this evaluator needs no round trip of its own for that folder.
    /// <paramref name="grants"/> must be exactly what <see cref="EvaluateAsync(AccessSubject, int, string[], string?, string?, CancellationToken)"/>
    /// reads: for a non-administrator, the grants of the user and of their groups in the root on the folder and on each of
    /// its ancestors up to the root ("" included), matched on whole path components; none for an administrator. Kept as
    /// this evaluator keeps its own answers: under the version read before the caller's query (<see cref="Mark"/>).
    /// </summary>
    internal EffectivePermissions Remember(AccessSubject user, StorageRoot root, string relativePath, IReadOnlyList<GrantView> grants, ReadMark readUnder)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(grants);
        var permissions = AncestorsAndSelf(relativePath) is null ? EffectivePermissions.None
            : Decide(user.IsAdministrator, root.IsReadOnly, user.IsAdministrator ? [] : grants).Effective;
        if (_cache.Count >= MaxCachedAnswers)
        {
            _cache.Clear();
        }

        _cache[(user.UserId, user.IsAdministrator, root.Id, relativePath)] = new CachedPermissions(permissions, readUnder.Version, readUnder.At);
        return permissions;
    }

    /// <summary>The rules over the root's read-only flag and the grants on a folder and its ancestors (the user's and their groups').</summary>
    private static AccessExplanation Decide(bool administrator, bool isReadOnly, IReadOnlyList<GrantView> considered)
    {
        var blockedByRoot = isReadOnly ? Permission.Write | Permission.Delete : Permission.None;
        if (administrator)
        {
            return Explain(Permission.All & ~blockedByRoot,
                bit => ((bit & blockedByRoot) != 0 ? DecisionSource.ReadOnlyRoot : DecisionSource.Administrator, null));
        }

        var granted = Permission.None;
        var deciders = new Dictionary<Permission, GrantView>();
        foreach (var bit in PermissionBits.Each)
        {
            // The nearest folder wins; among ancestors of one path, a longer path is a deeper folder.
            var nearest = considered
                .Where(g => (g.Permissions & bit) != 0)
                .OrderByDescending(g => g.RelativePath.Length)
                .ThenByDescending(g => g.Effect == GrantEffect.Deny)
                .ThenBy(g => g.Id)
                .FirstOrDefault();
            if (nearest is null)
            {
                continue;
            }

            deciders[bit] = nearest;
            if (nearest.Effect == GrantEffect.Allow)
            {
                granted |= bit;
            }
        }

        return Explain(granted & ~blockedByRoot, bit =>
            (bit & blockedByRoot) != 0 && (granted & bit) != 0 ? (DecisionSource.ReadOnlyRoot, deciders.GetValueOrDefault(bit))
            : deciders.TryGetValue(bit, out var grant) ? (DecisionSource.Grant, grant)
            : (DecisionSource.NoGrant, null));
    }

    private static AccessExplanation Explain(Permission granted, Func<Permission, (DecisionSource Source, GrantView? Grant)> reason) =>
        new(new EffectivePermissions(granted), PermissionBits.Each
            .Select(bit =>
            {
                var (source, grant) = reason(bit);
                return new PermissionDecision(bit, (granted & bit) != 0, source, grant);
            })
            .ToList());

    private sealed record CachedPermissions(EffectivePermissions Permissions, long Version, long At);
}
