using System.Collections.Concurrent;

namespace FileVault.Core.Storage;

/// <summary>
/// <see cref="MountHealth"/>'s healthy answers, remembered for <see cref="Remembered"/> per root, for the read paths
/// that ask on every request: a grid of a hundred photo tiles asks a hundred times in a second, and each check is a
/// thread hop, two stats and a read of the marker. An unhealthy answer is never remembered, so a broken mount is
/// reported on every request; one that breaks is noticed within the second (and its files fail to open meanwhile:
/// nothing is served from an empty mount point as if it were the share).
/// </summary>
public sealed class RecentRootHealth(TimeProvider time)
{
    public static readonly TimeSpan Remembered = TimeSpan.FromSeconds(1);

    private static readonly RootHealthReport Healthy = new(null);

    private readonly ConcurrentDictionary<(int Id, string Path, long Device, Guid Marker), long> _healthyAt = new();

    public async Task<RootHealthReport> CheckAsync(StorageRoot root, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        var key = (root.Id, root.Path, root.DeviceId, root.MarkerId);
        var now = time.GetTimestamp();
        if (_healthyAt.TryGetValue(key, out var at) && time.GetElapsedTime(at, now) < Remembered)
        {
            return Healthy;
        }

        var report = await MountHealth.CheckAsync(root, timeout, cancellationToken);
        if (report.IsHealthy)
        {
            _healthyAt[key] = now;
        }
        else
        {
            _healthyAt.TryRemove(key, out _);
        }

        return report;
    }
}
