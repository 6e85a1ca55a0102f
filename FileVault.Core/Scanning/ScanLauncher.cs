using Coravel.Queuing.Interfaces;
using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Scanning;

/// <summary>
/// Starts and cancels scans on an admin's behalf, each with an audit row (<c>scan.start</c>, <c>scan.cancel</c>). The
/// scan runs on Coravel's queue, never in the caller.
/// </summary>
/// <remarks>Codes: <c>auth.forbidden</c>, <c>root.not_found</c>, <c>scan.already_running</c>, <c>scan.not_running</c>.</remarks>
public sealed class ScanLauncher(
    IQueue queue, ScanMonitor monitor, IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<ScanLauncher> logger)
{
    public async Task<Result<bool>> StartAsync(AccessSubject actor, int rootId, ScanKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("starting scans");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.StorageRoots.AnyAsync(r => r.Id == rootId, cancellationToken))
        {
            return new Error("root.not_found", $"No storage root {rootId}.");
        }

        if (monitor.Running.Any(r => r.RootId == rootId))
        {
            return new Error("scan.already_running", "A scan of this root is already running.");
        }

        // Recorded before it is queued: a scan never runs without its audit row.
        var admin = await AdminNames.OfAsync(db, actor, cancellationToken);
        // FileVault itself (start-up seeding) is no user: its rows name none, like the registration's.
        AuditTrail.Add(db, time, actor.IsSystem ? null : actor.UserId, "scan.start", $"root:{rootId}", new { Kind = kind.ToString() });
        await db.SaveChangesAsync(cancellationToken);
        queue.QueueInvocableWithPayload<ScanRootJob, ScanRequest>(new ScanRequest(rootId, kind, "admin:" + admin));
        logger.LogInformation("{Admin} queued a {Kind} scan of root {RootId}", admin, kind, rootId);
        return true;
    }

    public async Task<Result<bool>> CancelAsync(AccessSubject actor, int rootId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            return AccessErrors.Forbidden("cancelling scans");
        }

        if (!await monitor.CancelAnywhereAsync(rootId))
        {
            return new Error("scan.not_running", "No scan of this root is running.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        AuditTrail.Add(db, time, actor.UserId, "scan.cancel", $"root:{rootId}");
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("User {Actor} cancelled the scan of root {RootId}", actor.UserId, rootId);
        return true;
    }
}
