using FileVault.Core.Access;
using FileVault.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FileVault.Core.Scanning;

/// <summary>
/// Registers a storage root and indexes it at once: checks its mount and queues its first full scan, so a new root
/// never sits empty until someone finds the scan button or the schedule comes. The admin page, the API and start-up
/// seeding all register through here; the scan runs on the queue, never in the caller.
/// </summary>
/// <remarks>Lives in Scanning rather than in <see cref="StorageRootRegistry"/> so that Storage does not depend on the
/// scanner. Codes: those of <see cref="StorageRootRegistry.RegisterAsync"/>.</remarks>
public sealed class RootOnboarding(
    StorageRootRegistry registry, RootHealthService health, ScanLauncher launcher, ILogger<RootOnboarding> logger)
{
    public async Task<Result<StorageRoot>> RegisterAsync(
        AccessSubject actor, string name, string path, bool isReadOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var registered = await registry.RegisterAsync(actor, name, path, isReadOnly, cancellationToken);
        if (!registered.IsSuccess)
        {
            return registered;
        }

        // The root is registered whatever happens next: a failed check or start is the admin page's to show, not a
        // reason to answer the registration with an error. Neither is cancelled with the request that registered it.
        var root = registered.Value;
        var checkedRoot = await health.CheckRootAsync(actor, root.Id, CancellationToken.None);
        if (!checkedRoot.IsSuccess)
        {
            logger.LogWarning("Could not check the mount of new root {Root}: {Error}", root.Name, checkedRoot.Error);
        }

        var started = await launcher.StartAsync(actor, root.Id, ScanKind.Full, CancellationToken.None);
        if (!started.IsSuccess)
        {
            logger.LogWarning("Could not start the first scan of new root {Root}: {Error}", root.Name, started.Error);
        }

        return root;
    }
}
