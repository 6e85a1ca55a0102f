using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Storage;

public sealed record StorageRootSummary(int Id, string Name, string Path, bool IsReadOnly);

/// <summary>Read-side queries over storage roots. A context per call: Blazor pages may overlap calls in one circuit.</summary>
public sealed class StorageRootQueries(IDbContextFactory<FileVaultDbContext> contexts)
{
    public async Task<IReadOnlyList<StorageRootSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.StorageRoots.AsNoTracking()
            .OrderBy(r => r.Name)
            .Select(r => new StorageRootSummary(r.Id, r.Name, r.Path, r.IsReadOnly))
            .ToListAsync(cancellationToken);
    }
}
