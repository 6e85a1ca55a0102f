using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Scanning;

public sealed record StorageRootSummary(int Id, string Name, string Path, bool IsReadOnly);

/// <summary>Read-side queries over storage roots. A context per call: Blazor pages may overlap calls in one circuit.</summary>
public sealed class StorageRootQueries(IDbContextFactory<FileVaultDbContext> contexts)
{
    /// <summary>Every root with its path on the server, for admins only (<c>auth.forbidden</c> for anyone else).</summary>
    public async Task<Result<IReadOnlyList<StorageRootSummary>>> ListAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            // Server paths tell an outsider where the share is mounted; nobody but admins needs them.
            return AccessErrors.Forbidden("listing storage roots");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.StorageRoots.AsNoTracking()
            .OrderBy(r => r.Name)
            .Select(r => new StorageRootSummary(r.Id, r.Name, r.Path, r.IsReadOnly))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The display name of a root (never its path), or null when there is none. Says nothing about what the caller may
    /// read: pages ask the access evaluator before they show anything under it.
    /// </summary>
    public async Task<string?> NameAsync(int rootId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.StorageRoots.AsNoTracking().Where(r => r.Id == rootId).Select(r => r.Name).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The root registered at <paramref name="path"/> (absolute, as registered), for admins only; null when none is.</summary>
    public async Task<Result<int?>> FindByPathAsync(AccessSubject actor, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(path);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("looking up storage roots by path");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.StorageRoots.AsNoTracking().Where(r => r.Path == path).Select(r => (int?)r.Id).SingleOrDefaultAsync(cancellationToken);
    }
}
