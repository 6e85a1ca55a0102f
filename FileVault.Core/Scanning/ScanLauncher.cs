using Coravel.Queuing.Interfaces;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Scanning;

/// <summary>Starts and cancels scans on an admin's behalf. The scan runs on Coravel's queue, never in the caller.</summary>
public sealed class ScanLauncher(IQueue queue, ScanMonitor monitor, IDbContextFactory<FileVaultDbContext> contexts, ILogger<ScanLauncher> logger)
{
    public async Task<Result<bool>> StartAsync(int rootId, ScanKind kind, string admin, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.StorageRoots.AnyAsync(r => r.Id == rootId, cancellationToken))
        {
            return new Error("root.not_found", $"No storage root {rootId}.");
        }

        if (monitor.Running.Any(r => r.RootId == rootId))
        {
            return new Error("scan.already_running", "A scan of this root is already running.");
        }

        queue.QueueInvocableWithPayload<ScanRootJob, ScanRequest>(new ScanRequest(rootId, kind, "admin:" + admin));
        logger.LogInformation("{Admin} queued a {Kind} scan of root {RootId}", admin, kind, rootId);
        return true;
    }

    public async Task<Result<bool>> CancelAsync(int rootId, string admin)
    {
        if (!await monitor.CancelAnywhereAsync(rootId))
        {
            return new Error("scan.not_running", "No scan of this root is running.");
        }

        logger.LogInformation("{Admin} cancelled the scan of root {RootId}", admin, rootId);
        return true;
    }
}
