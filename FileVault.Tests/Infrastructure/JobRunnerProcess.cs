using System.Diagnostics;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// `FileVault.Web jobs --until-idle` as a child process over a harness's database and the test Redis: the job runner
/// alone, with short heartbeats, for tests that SIGKILL it at random points and start it again.
/// </summary>
public static class JobRunnerProcess
{
    private static string LogDirectory()
    {
        var directory = Path.Combine(Environment.GetEnvironmentVariable("FILEVAULT_TEST_ARTIFACTS") ?? Path.GetTempPath(), "job-runner-logs");
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Where a child's output goes.</summary>
    public static string LogOf(Process process) => Path.Combine(LogDirectory(), $"jobs-{process.Id}.log");

    public static Process Start(ScanHarness harness, string? redis = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "FileVault.Web.dll"), "jobs", "--until-idle"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__Postgres"] = harness.Database.ConnectionString;
        start.Environment["ConnectionStrings__Redis"] = redis ?? TestEnvironment.Redis;
        start.Environment["FileVault__Jobs__HeartbeatInterval"] = "00:00:00.250";
        start.Environment["FileVault__Jobs__HeartbeatTimeout"] = "00:00:01";
        start.Environment["FileVault__Jobs__PollInterval"] = "00:00:00.100";
        start.Environment["FILEVAULT_ADMIN_EMAIL"] = "kill@t";
        var process = Process.Start(start)!;
        // Its log, kept beside the test results for a failed run to be read; both streams drained, so it never blocks on a full pipe.
        var log = new StreamWriter(LogOf(process)) { AutoFlush = true };
        var gate = new object();
        DataReceivedEventHandler write = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    log.WriteLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += write;
        process.ErrorDataReceived += write;
        process.Exited += (_, _) => { lock (gate) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}

/// <summary>
/// The tests that start `jobs --until-idle` children (kill and outage tests) run one at a time: each child is a whole
/// .NET process, and several at once on a small machine starve the browser tests running beside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class JobRunnerProcessCollection
{
    public const string Name = "job runner processes";
}
