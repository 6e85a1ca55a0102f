namespace FileVault.Core.Monitoring;

/// <summary>A place whose file system the dashboard shows: a storage root, or PostgreSQL's or Redis's data.</summary>
public sealed record WatchedPlace(string Label, string Path);

public sealed record DiskUsage(string Label, string Path, long TotalBytes, long UsedBytes, long AvailableBytes, string? Device, double ReadBytesPerSecond, double WrittenBytesPerSecond);

public sealed record ProcessUsage(int Pid, string Name, double CpuPercent, long ResidentBytes);

/// <summary>What the host was doing between the previous reading and <see cref="At"/>.</summary>
public sealed record SystemSample(
    DateTimeOffset At,
    string Host,
    double CpuPercent,
    IReadOnlyList<double> CorePercents,
    MemoryInfo Memory,
    LoadAverage Load,
    IReadOnlyList<DiskUsage> Disks,
    double ReceivedBytesPerSecond,
    double SentBytesPerSecond,
    IReadOnlyList<ProcessUsage> TopByCpu,
    IReadOnlyList<ProcessUsage> TopByMemory)
{
    public double MemoryPercent => Memory.Total == 0 ? 0 : 100.0 * Memory.Used / Memory.Total;
}

/// <summary>
/// Reads /proc and statvfs and turns two readings into rates: each call's figures cover the time since the previous
/// call of the same reader (the first call's, since boot). Not thread-safe: one reader per sampling loop.
/// </summary>
public sealed class SystemReader(TimeProvider time, string procRoot = "/proc")
{
    private const int TopCount = 8;
    private CpuStat? _cpu;
    private Dictionary<(int, int), DiskCounters> _disks = [];
    private (long Received, long Sent)? _network;
    private Dictionary<int, long> _ticks = [];
    private long _readAt;

    public SystemSample Read(IReadOnlyList<WatchedPlace> places)
    {
        var now = time.GetTimestamp();
        var seconds = _readAt == 0 ? 0 : time.GetElapsedTime(_readAt, now).TotalSeconds;
        _readAt = now;

        var cpu = CpuStat.Parse(ProcFiles.TryRead($"{procRoot}/stat") ?? "cpu 0 0 0 0");
        var cpuPercent = _cpu is null ? 0 : cpu.Total.UsageSince(_cpu.Total);
        var cores = cpu.Cores.Select(c => _cpu?.Cores.FirstOrDefault(p => p.Name == c.Name) is { } before ? c.UsageSince(before) : 0).ToList();
        _cpu = cpu;

        var disks = DiskCounters.Parse(ProcFiles.TryRead($"{procRoot}/diskstats") ?? "").ToDictionary(d => (d.Major, d.Minor));
        var usage = new List<DiskUsage>();
        foreach (var place in places)
        {
            if (FileSystemSpace.Of(place.Path) is not { } space)
            {
                continue;
            }

            var device = disks.GetValueOrDefault((space.Major, space.Minor));
            var before = _disks.GetValueOrDefault((space.Major, space.Minor));
            usage.Add(new DiskUsage(place.Label, place.Path, space.TotalBytes, space.UsedBytes, space.AvailableBytes, device?.Name,
                Rate(device?.ReadBytes, before?.ReadBytes, seconds), Rate(device?.WrittenBytes, before?.WrittenBytes, seconds)));
        }

        _disks = disks;

        // Loopback is the app talking to itself (PostgreSQL, Redis): only real interfaces count.
        var network = NetworkCounters.Parse(ProcFiles.TryRead($"{procRoot}/net/dev") ?? "").Where(n => n.Interface != "lo").ToList();
        var totals = (network.Sum(n => n.ReceivedBytes), network.Sum(n => n.SentBytes));
        var received = Rate(totals.Item1, _network?.Received, seconds);
        var sent = Rate(totals.Item2, _network?.Sent, seconds);
        _network = totals;

        var processes = ReadProcesses();
        var elapsedTicks = seconds * ProcFiles.TicksPerSecond;
        var usages = processes.Select(p => new ProcessUsage(p.Pid, p.Name,
            elapsedTicks <= 0 || !_ticks.TryGetValue(p.Pid, out var t) ? 0 : Math.Max(0, 100.0 * (p.CpuTicks - t) / elapsedTicks), p.ResidentBytes)).ToList();
        _ticks = processes.ToDictionary(p => p.Pid, p => p.CpuTicks);

        return new SystemSample(time.GetUtcNow(), Environment.MachineName, cpuPercent, cores,
            MemoryInfo.Parse(ProcFiles.TryRead($"{procRoot}/meminfo") ?? ""),
            LoadAverage.Parse(ProcFiles.TryRead($"{procRoot}/loadavg") ?? "0 0 0 0/0 0"),
            usage, received, sent,
            usages.OrderByDescending(p => p.CpuPercent).ThenByDescending(p => p.ResidentBytes).Take(TopCount).ToList(),
            usages.OrderByDescending(p => p.ResidentBytes).Take(TopCount).ToList());
    }

    private static double Rate(long? now, long? before, double seconds) =>
        now is null || before is null || seconds <= 0 ? 0 : Math.Max(0, (now.Value - before.Value) / seconds);

    private List<ProcessCounters> ReadProcesses()
    {
        var list = new List<ProcessCounters>();
        foreach (var directory in Directory.EnumerateDirectories(procRoot))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsDigit(name[0]))
            {
                continue;
            }

            // A process may end between listing and reading: skip it.
            if (ProcFiles.TryRead($"{directory}/stat") is { } stat && ProcFiles.TryRead($"{directory}/status") is { } status)
            {
                try
                {
                    list.Add(ProcessCounters.Parse(stat, status));
                }
                catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException)
                {
                    // Half-written by an exiting process: it is left out of this sample.
                }
            }
        }

        return list;
    }
}
