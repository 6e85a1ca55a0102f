using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Audit;

/// <summary>
/// Writes an audit row on its own, for events that change nothing else (a sign-in, a failed one). A change to the
/// catalog writes its row with <see cref="AuditTrail.Add"/> in its own transaction instead.
/// </summary>
public sealed class AuditRecorder(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time)
{
    public async Task RecordAsync(Guid? actorId, string action, string target, object? detail, AuditResult result, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        AuditTrail.Add(db, time, actorId, action, target, detail, result);
        await db.SaveChangesAsync(cancellationToken);
    }
}
