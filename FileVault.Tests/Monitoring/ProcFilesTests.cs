using FileVault.Core.Monitoring;

namespace FileVault.Tests.Monitoring;

/// <summary>The dashboard's /proc parsers on files captured from a real machine (2 cores, a virtio disk, eth0).</summary>
public sealed class ProcFilesTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Monitoring", "Fixtures", name));

    [Fact]
    public void Proc_stat_gives_the_total_and_each_core()
    {
        var cpu = CpuStat.Parse(Fixture("stat"));

        Assert.Equal(new CpuTimes("cpu", 1979583, 21620, 363518, 261218, 5347, 0, 12144, 1542), cpu.Total);
        Assert.Equal(["cpu0", "cpu1"], cpu.Cores.Select(c => c.Name));
        Assert.Equal(996580, cpu.Cores[0].User);
        Assert.Equal(1979583 + 21620 + 363518 + 12144 + 1542, cpu.Total.Busy);
    }

    [Fact]
    public void Cpu_usage_is_the_busy_share_of_the_time_between_two_readings()
    {
        var before = new CpuTimes("cpu", 100, 0, 100, 700, 100, 0, 0, 0);
        var after = new CpuTimes("cpu", 250, 0, 150, 750, 150, 0, 0, 0);

        Assert.Equal(100.0 * 200 / 300, after.UsageSince(before), 6);
        Assert.Equal(0, before.UsageSince(before));
    }

    [Fact]
    public void Proc_meminfo_gives_memory_and_swap_in_bytes()
    {
        var text = Fixture("meminfo");
        var memory = MemoryInfo.Parse(text);

        Assert.Equal(KiB(text, "MemTotal"), memory.Total);
        Assert.Equal(KiB(text, "MemAvailable"), memory.Available);
        Assert.Equal(KiB(text, "SwapTotal") - KiB(text, "SwapFree"), memory.SwapUsed);
        Assert.True(memory.Total > 20L * 1024 * 1024 * 1024 && memory.Used > 0 && memory.Used < memory.Total);
    }

    [Fact]
    public void Proc_loadavg_gives_the_three_averages_and_the_task_counts()
    {
        Assert.Equal(new LoadAverage(15.23, 27.35, 24.50, 17, 336), LoadAverage.Parse(Fixture("loadavg")));
    }

    [Fact]
    public void Proc_diskstats_gives_bytes_read_and_written_per_device()
    {
        var disks = DiskCounters.Parse(Fixture("diskstats"));

        var vda = Assert.Single(disks, d => d.Name == "vda");
        Assert.Equal(new DiskCounters(254, 0, "vda", 1029192, 31081106L * 512, 3160261, 209435696L * 512, 432932), vda);
        Assert.Equal(10, disks.Count);
    }

    [Fact]
    public void Proc_net_dev_gives_bytes_received_and_sent_per_interface()
    {
        var interfaces = NetworkCounters.Parse(Fixture("net_dev"));

        Assert.Equal(["lo", "ifb0", "ifb1", "eth0"], interfaces.Select(i => i.Interface));
        Assert.Equal(new NetworkCounters("eth0", 871646915, 7920284), interfaces[^1]);
    }

    [Fact]
    public void A_process_gives_its_name_cpu_ticks_and_resident_memory()
    {
        var process = ProcessCounters.Parse(Fixture("pid_stat"), Fixture("pid_status"));

        // utime and stime (fields 14 and 15) are its own; 13892 and 3811 after them are its children's, not counted.
        Assert.Equal(new ProcessCounters(7559, "postgres", 'S', 1 + 21, 42864L * 1024), process);
    }

    [Fact]
    public void A_process_name_with_spaces_and_parentheses_does_not_shift_the_fields()
    {
        var process = ProcessCounters.Parse("42 (Web (Content) x) R 1 42 42 0 -1 0 0 0 0 0 700 50 0 0 20 0 1 0 5 0 0", "Name:\tWeb\nVmRSS:\t  100 kB\n");

        Assert.Equal(new ProcessCounters(42, "Web (Content) x", 'R', 750, 102_400), process);
    }

    [Fact]
    public void A_captured_statvfs_gives_total_used_and_available_bytes_and_the_device_diskstats_lists()
    {
        // statvfs("/") on the machine the /proc files come from, with os.statvfs's reading at the same moment:
        // f_frsize 4096, f_blocks 66053021, f_bfree 53649915, f_bavail 11791387; st_dev 65024 is 254:0, vda in its diskstats.
        var space = FileSystemSpace.FromStatVfs(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Monitoring", "Fixtures", "statvfs_root")), 65024);

        Assert.Equal(new FileSystemSpace(66053021L * 4096, 53649915L * 4096, 11791387L * 4096, 254, 0), space);
        Assert.Equal((66053021L - 53649915L) * 4096, space.UsedBytes);
        Assert.Contains(DiskCounters.Parse(Fixture("diskstats")), d => (d.Major, d.Minor) == (space.Major, space.Minor) && d.Name == "vda");
    }

    [Theory]
    [InlineData(2049UL, 8, 1)]
    [InlineData(1114924UL, 259, 300)]
    [InlineData(4294967295UL, 4095, 1048575)]
    public void A_device_number_splits_into_major_and_minor_as_glibc_does(ulong device, int major, int minor)
    {
        // Expected pairs from Python's os.makedev, which is glibc's makedev.
        Assert.Equal((major, minor), FileSystemSpace.DeviceNumbers(device));
    }

    [Fact]
    public void Statvfs_reports_the_file_system_of_a_path_and_its_device()
    {
        var directory = Directory.CreateTempSubdirectory("filevault-space-").FullName;
        try
        {
            var space = FileSystemSpace.Of(directory);

            Assert.NotNull(space);
            Assert.True(space.TotalBytes > 0 && space.UsedBytes >= 0 && space.AvailableBytes <= space.TotalBytes - space.UsedBytes + 1);
            Assert.Null(FileSystemSpace.Of(Path.Combine(directory, "없는 폴더")));
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    private static long KiB(string meminfo, string key) =>
        long.Parse(meminfo.Split('\n').Single(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
