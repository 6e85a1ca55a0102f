using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Scanning;

/// <summary>An admin's answer to a scan that held back its missing entries. Codes: <c>auth.forbidden</c>, <c>scan.not_awaiting_confirmation</c>.</summary>
public sealed class HeldMissingReview(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<HeldMissingReview> logger)
{
    /// <summary>Marks exactly the held entries missing (those still active) and closes the alert.</summary>
    public Task<Result<long>> ConfirmAsync(AccessSubject actor, long scanRunId, CancellationToken cancellationToken) =>
        DecideAsync(actor, scanRunId, async (db, run, admin) =>
        {
            // The retrying strategy replays the whole unit if PostgreSQL drops mid-way (R-DEG-2).
            var marked = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var now = time.GetUtcNow();
                var count = await db.Entries
                    .Where(e => e.State == EntryState.Active && db.ScanHeldMissing.Any(h => h.ScanRunId == scanRunId && h.EntryId == e.Id))
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(e => e.State, EntryState.Missing)
                        .SetProperty(e => e.MissingSince, now)
                        .SetProperty(e => e.ChangedByScanId, scanRunId), cancellationToken);
                await CloseAsync(db, run, ScanStatus.Completed, $"{count} entries marked missing, confirmed by {admin}.", cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return count;
            });
            logger.LogWarning("{Admin} confirmed scan {ScanId}: {Count} entries marked missing", admin, scanRunId, marked);
            return (long)marked;
        }, cancellationToken);

    /// <summary>Keeps the held entries as they are (the disk was wrong, not the catalog) and closes the alert.</summary>
    public Task<Result<long>> DismissAsync(AccessSubject actor, long scanRunId, CancellationToken cancellationToken) =>
        DecideAsync(actor, scanRunId, async (db, run, admin) =>
        {
            await CloseAsync(db, run, ScanStatus.Completed, $"Held entries kept, dismissed by {admin}.", cancellationToken);
            logger.LogInformation("{Admin} dismissed the held missing entries of scan {ScanId}", admin, scanRunId);
            return 0L;
        }, cancellationToken);

    /// <summary>An admin's decision on a scan still awaiting one: <paramref name="decide"/> gets the scan's row and the admin's name.</summary>
    private async Task<Result<long>> DecideAsync(
        AccessSubject actor, long scanRunId, Func<FileVaultDbContext, ScanRun, string, Task<long>> decide, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("deciding on a scan's held-back missing entries");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.ScanRuns.SingleOrDefaultAsync(r => r.Id == scanRunId, cancellationToken);
        if (run is not { Status: ScanStatus.AwaitingConfirmation })
        {
            return new Error("scan.not_awaiting_confirmation", $"Scan {scanRunId} is not waiting for a confirmation.");
        }

        return await decide(db, run, await AdminNames.OfAsync(db, actor, cancellationToken));
    }

    private static async Task CloseAsync(FileVaultDbContext db, ScanRun run, ScanStatus status, string message, CancellationToken cancellationToken)
    {
        run.Status = status;
        run.Message = message;
        await db.ScanHeldMissing.Where(h => h.ScanRunId == run.Id).ExecuteDeleteAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        var stillWaiting = await db.ScanRuns.AnyAsync(r => r.RootId == run.RootId && r.Status == ScanStatus.AwaitingConfirmation, cancellationToken);
        await db.StorageRoots.Where(r => r.Id == run.RootId && r.Health != Storage.RootHealth.Unhealthy)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.AlertOpen, stillWaiting).SetProperty(r => r.HealthMessage, (string?)null), cancellationToken);
    }
}
