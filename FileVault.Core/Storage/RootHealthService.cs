using FileVault.Core.Data;
using FileVault.Core.Scanning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Storage;

/// <summary>Checks roots' mounts and keeps their health and the admin alert up to date.</summary>
public sealed class RootHealthService(
    IDbContextFactory<FileVaultDbContext> contexts, IOptions<ScannerOptions> options, TimeProvider time, ILogger<RootHealthService> logger)
{
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var root in await db.StorageRoots.ToListAsync(cancellationToken))
        {
            var report = await MountHealth.CheckAsync(root, options.Value.HealthCheckTimeout, cancellationToken);
            var awaitingConfirmation = await db.ScanRuns.AnyAsync(
                r => r.RootId == root.Id && r.Status == ScanStatus.AwaitingConfirmation, cancellationToken);
            if (report.IsHealthy)
            {
                root.Health = RootHealth.Healthy;
                root.HealthMessage = awaitingConfirmation ? root.HealthMessage : null;
                // The mount is back: the alert closes unless a held-back scan still needs an admin.
                root.AlertOpen = awaitingConfirmation;
            }
            else
            {
                if (root.Health != RootHealth.Unhealthy)
                {
                    logger.LogWarning("Storage root {Root} is unhealthy: {Problem}", root.Name, report.Problem);
                }

                root.Health = RootHealth.Unhealthy;
                root.HealthMessage = report.Problem!.Message;
                root.AlertOpen = true;
            }

            root.HealthCheckedAt = time.GetUtcNow();
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
