using System.Collections.Concurrent;
using FileVault.Core.Access;

namespace FileVault.Core.Scanning;

/// <summary>A snapshot of a scan's progress for pages and the API.</summary>
public sealed record ScanProgressSnapshot(
    long ScanId, int RootId, ScanKind Kind, string Phase, long Seen, long Errors, double EntriesPerSecond, string CurrentFolder, DateTimeOffset StartedAt);

/// <summary>
/// The scans running in this process: their live counters, and a way to cancel them. Admin pages poll
/// <see cref="RunningFor"/> (cheap: counters in memory) and listen to <see cref="Changed"/> for starts and ends; cancelling
/// goes through <see cref="ScanLauncher"/>, which checks and audits it.
/// </summary>
public sealed class ScanMonitor(TimeProvider time)
{
    private readonly ConcurrentDictionary<long, RunningScan> _running = new();
    private readonly ConcurrentDictionary<string, (IReadOnlyList<ScanProgressSnapshot> Running, DateTimeOffset At)> _remote = new();

    /// <summary>Names this process in messages to other instances.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    /// <summary>Asks the other instances to cancel a root's scan; set by <see cref="ScanProgressRelay"/>.</summary>
    internal Func<int, Task<bool>>? RemoteCancel { get; set; }

    /// <summary>Raised when a scan starts or finishes in this process.</summary>
    public event Action? Changed;

    /// <summary>
    /// Scans running here and, as last reported, on the other instances, for admins only (<c>auth.forbidden</c>): a
    /// snapshot names the folder being walked, which its viewer may not be allowed to read.
    /// </summary>
    public Result<IReadOnlyList<ScanProgressSnapshot>> RunningFor(AccessSubject actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.IsAdministrator ? Result<IReadOnlyList<ScanProgressSnapshot>>.Success(Running) : AccessErrors.Forbidden("watching scans");
    }

    /// <summary>
    /// How many entries the running scan of a root has seen so far (here or on another instance), or null when none
    /// runs. A bare count names nothing inside the root, so anyone who may open the root may see it.
    /// </summary>
    public long? SeenSoFar(int rootId) => Running.Where(s => s.RootId == rootId).Select(s => (long?)s.Seen).FirstOrDefault();

    /// <summary>Scans running here and, as last reported, on the other instances.</summary>
    internal IReadOnlyList<ScanProgressSnapshot> Running => [.. LocalRunning, .. _remote.Values.SelectMany(r => r.Running)];

    internal IReadOnlyList<ScanProgressSnapshot> LocalRunning => _running.Values.Select(v => Snapshot(v.Run, v.Progress)).ToList();

    private sealed record RunningScan(ScanRun Run, ScanProgress Progress, CancellationTokenSource Cancellation);

    /// <summary>Cancels the running scan of a root in this process; false when none runs here.</summary>
    internal bool CancelRoot(int rootId)
    {
        foreach (var (_, scan) in _running)
        {
            if (scan.Run.RootId == rootId)
            {
                scan.Cancellation.Cancel();
                return true;
            }
        }

        return false;
    }

    /// <summary>Cancels a root's scan here or, through Redis, wherever it runs.</summary>
    internal async Task<bool> CancelAnywhereAsync(int rootId) =>
        CancelRoot(rootId) || (RemoteCancel is not null && _remote.Values.Any(r => r.Running.Any(s => s.RootId == rootId)) && await RemoteCancel(rootId));

    internal void UpdateRemote(string instanceId, IReadOnlyList<ScanProgressSnapshot> running, DateTimeOffset at)
    {
        var known = _remote.TryGetValue(instanceId, out var previous) ? previous.Running.Select(s => s.ScanId).ToHashSet() : [];
        _remote[instanceId] = (running, at);
        if (!known.SetEquals(running.Select(s => s.ScanId)))
        {
            Changed?.Invoke();
        }
    }

    internal void ExpireRemote(DateTimeOffset olderThan)
    {
        foreach (var (instance, report) in _remote)
        {
            if (report.At < olderThan && _remote.TryRemove(instance, out _))
            {
                Changed?.Invoke();
            }
        }
    }

    /// <summary>Registers a starting scan; its token trips on <paramref name="outer"/> or <see cref="CancelRoot"/>.</summary>
    internal (ScanProgress Progress, CancellationToken Token) Started(ScanRun run, CancellationToken outer)
    {
        var progress = new ScanProgress();
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _running[run.Id] = new RunningScan(run, progress, cancellation);
        Changed?.Invoke();
        return (progress, cancellation.Token);
    }

    internal void Finished(ScanRun run)
    {
        if (_running.TryRemove(run.Id, out var scan))
        {
            scan.Cancellation.Dispose();
        }

        Changed?.Invoke();
    }

    private ScanProgressSnapshot Snapshot(ScanRun run, ScanProgress progress)
    {
        var elapsed = (time.GetUtcNow() - run.StartedAt).TotalSeconds;
        return new ScanProgressSnapshot(run.Id, run.RootId, run.Kind, progress.Phase, progress.Seen, progress.Errors,
            elapsed > 0 ? progress.Seen / elapsed : 0, progress.CurrentFolder, run.StartedAt);
    }
}
