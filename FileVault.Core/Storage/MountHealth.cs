namespace FileVault.Core.Storage;

/// <summary>The outcome of a root health check; <see cref="Problem"/> is null when healthy.</summary>
public sealed record RootHealthReport(Error? Problem)
{
    public bool IsHealthy => Problem is null;
}

/// <summary>
/// Whether a root is really the mounted file server FileVault registered: the path exists, is on the recorded device,
/// and holds our marker. An empty mount point passes none of these, so nothing is ever marked missing because a share
/// dropped (DESIGN invariant 5). Runs off the request thread with a timeout, since stat on a hung network mount blocks.
/// </summary>
public static class MountHealth
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<RootHealthReport> CheckAsync(StorageRoot root, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var check = Task.Run(() => Check(root), CancellationToken.None);
        try
        {
            return await check.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return new RootHealthReport(new Error("root.timeout", $"{root.Path} did not answer within {timeout.TotalSeconds:F0} s (hung mount?)"));
        }
    }

    private static RootHealthReport Check(StorageRoot root)
    {
        if (UnixFileStat.TryGet(root.Path) is not { } stat || !Directory.Exists(root.Path))
        {
            return Unhealthy("root.missing", $"{root.Path} does not exist or is not a directory");
        }

        if (unchecked((long)stat.Device) != root.DeviceId)
        {
            return Unhealthy("root.device_changed",
                $"{root.Path} is on device {stat.Device}, registered on {root.DeviceId}: the mount changed or is gone");
        }

        var marker = Path.Combine(root.Path, PathGuard.MarkerFileName);
        string content;
        try
        {
            content = File.ReadAllText(marker).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Unhealthy("root.marker_missing", $"The marker {marker} cannot be read: {ex.Message}");
        }

        return Guid.TryParse(content, out var id) && id == root.MarkerId
            ? new RootHealthReport(null)
            : Unhealthy("root.marker_mismatch", $"The marker {marker} belongs to another root");
    }

    private static RootHealthReport Unhealthy(string code, string message) => new(new Error(code, message));
}
