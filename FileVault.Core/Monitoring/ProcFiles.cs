using System.Globalization;

namespace FileVault.Core.Monitoring;

/// <summary>Jiffies a CPU (or all of them) spent in each state since boot, from a "cpu…" line of /proc/stat.</summary>
public sealed record CpuTimes(string Name, long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
{
    public long Busy => User + Nice + System + Irq + SoftIrq + Steal;

    public long Total => Busy + Idle + IoWait;

    /// <summary>Percent busy between an earlier reading and this one; 0 when no time passed.</summary>
    public double UsageSince(CpuTimes earlier)
    {
        var total = Total - earlier.Total;
        return total <= 0 ? 0 : Math.Clamp(100.0 * (Busy - earlier.Busy) / total, 0, 100);
    }
}

/// <summary>/proc/stat: the total line first, then one per core.</summary>
public sealed record CpuStat(CpuTimes Total, IReadOnlyList<CpuTimes> Cores)
{
    public static CpuStat Parse(string text)
    {
        CpuTimes? total = null;
        var cores = new List<CpuTimes>();
        foreach (var line in Lines(text))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal))
            {
                continue;
            }

            var f = Fields(line);
            long At(int i) => i < f.Length ? ProcFiles.Long(f[i]) : 0;
            var times = new CpuTimes(f[0], At(1), At(2), At(3), At(4), At(5), At(6), At(7), At(8));
            if (f[0] == "cpu")
            {
                total = times;
            }
            else
            {
                cores.Add(times);
            }
        }

        return new CpuStat(total ?? throw new FormatException("/proc/stat has no cpu line."), cores);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string[] Fields(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>/proc/meminfo, in bytes.</summary>
public sealed record MemoryInfo(long Total, long Available, long Free, long Buffers, long Cached, long SwapTotal, long SwapFree)
{
    public long Used => Total - Available;

    public long SwapUsed => SwapTotal - SwapFree;

    public static MemoryInfo Parse(string text)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var rest = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length > 0)
            {
                values[line[..colon]] = ProcFiles.Long(rest[0]) * (rest.Length > 1 && rest[1] == "kB" ? 1024 : 1);
            }
        }

        long Get(string key) => values.GetValueOrDefault(key);
        // Kernels before 3.14 have no MemAvailable: free + buffers + cache is the old estimate.
        var available = values.TryGetValue("MemAvailable", out var a) ? a : Get("MemFree") + Get("Buffers") + Get("Cached");
        return new MemoryInfo(Get("MemTotal"), available, Get("MemFree"), Get("Buffers"), Get("Cached"), Get("SwapTotal"), Get("SwapFree"));
    }
}

/// <summary>/proc/loadavg.</summary>
public sealed record LoadAverage(double One, double Five, double Fifteen, int Running, int Processes)
{
    public static LoadAverage Parse(string text)
    {
        var f = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var tasks = f[3].Split('/');
        return new LoadAverage(ProcFiles.Double(f[0]), ProcFiles.Double(f[1]), ProcFiles.Double(f[2]), (int)ProcFiles.Long(tasks[0]), (int)ProcFiles.Long(tasks[1]));
    }
}

/// <summary>One block device of /proc/diskstats: what it read and wrote since boot (sectors are 512 bytes there, whatever the disk's).</summary>
public sealed record DiskCounters(int Major, int Minor, string Name, long Reads, long ReadBytes, long Writes, long WrittenBytes, long BusyMs)
{
    public static IReadOnlyList<DiskCounters> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 14)
            .Select(f => new DiskCounters((int)ProcFiles.Long(f[0]), (int)ProcFiles.Long(f[1]), f[2],
                ProcFiles.Long(f[3]), ProcFiles.Long(f[5]) * 512, ProcFiles.Long(f[7]), ProcFiles.Long(f[9]) * 512, ProcFiles.Long(f[12])))
            .ToList();
}

/// <summary>One interface of /proc/net/dev: bytes received and sent since boot.</summary>
public sealed record NetworkCounters(string Interface, long ReceivedBytes, long SentBytes)
{
    public static IReadOnlyList<NetworkCounters> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains(':', StringComparison.Ordinal))
            .Select(line =>
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return new NetworkCounters(line[..colon].Trim(), ProcFiles.Long(f[0]), ProcFiles.Long(f[8]));
            })
            .ToList();
}

/// <summary>One process from /proc/[pid]/stat (CPU ticks) and /proc/[pid]/status (resident memory).</summary>
public sealed record ProcessCounters(int Pid, string Name, char State, long CpuTicks, long ResidentBytes)
{
    /// <summary>Parses the two files; the name in stat sits in parentheses and may itself hold spaces and ')'.</summary>
    public static ProcessCounters Parse(string stat, string status)
    {
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            throw new FormatException("A /proc/[pid]/stat line has no (comm).");
        }

        var pid = (int)ProcFiles.Long(stat[..open].Trim());
        var rest = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the name: state (field 3), …, utime (14) and stime (15), so rest[11] and rest[12].
        var ticks = ProcFiles.Long(rest[11]) + ProcFiles.Long(rest[12]);
        var rss = status.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)) is { } line
            ? ProcFiles.Long(line.Split(' ', '\t').Last(s => s.Length > 0 && char.IsDigit(s[0]))) * 1024
            : 0;
        return new ProcessCounters(pid, stat[(open + 1)..close], rest[0][0], ticks, rss);
    }
}

/// <summary>Reading the files of /proc; the parsers above take their text, so tests feed them captured copies.</summary>
public static class ProcFiles
{
    /// <summary>USER_HZ: the unit of the tick counts in /proc (100 on every Linux architecture .NET runs on).</summary>
    public const int TicksPerSecond = 100;

    public static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static long Long(string s) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    internal static double Double(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
