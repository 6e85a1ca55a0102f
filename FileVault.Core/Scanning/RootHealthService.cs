using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Scanning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FileVault.Core.Storage;

namespace FileVault.Core.Scanning;

/// <summary>
/// Checks roots' mounts and keeps their health and the admin alert up to date: on its schedule (as
/// <see cref="AccessSubject.System"/>) or when an admin asks (<c>auth.forbidden</c> for anyone else).
/// </summary>
public sealed class RootHealthService(
    IDbContextFactory<FileVaultDbContext> contexts, IOptions<ScannerOptions> options, TimeProvider time, ILogger<RootHealthService> logger)
{
    /// <returns>How many roots were checked.</returns>
    public Task<Result<int>> CheckAllAsync(AccessSubject actor, CancellationToken cancellationToken) =>
        CheckAsync(actor, null, cancellationToken);

    /// <summary>Checks one root, such as one just registered, without waiting on the others' mounts.</summary>
    /// <returns>1, or 0 when no such root exists.</returns>
    public Task<Result<int>> CheckRootAsync(AccessSubject actor, int rootId, CancellationToken cancellationToken) =>
        CheckAsync(actor, rootId, cancellationToken);

    private async Task<Result<int>> CheckAsync(AccessSubject actor, int? rootId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdministrator)
        {
            // Each check stats every mount and may wait for a hung network share: not for anyone to trigger at will.
            return AccessErrors.Forbidden("checking storage roots");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var roots = await db.StorageRoots.Where(r => rootId == null || r.Id == rootId).ToListAsync(cancellationToken);
        foreach (var root in roots)
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
        return roots.Count;
    }
}
