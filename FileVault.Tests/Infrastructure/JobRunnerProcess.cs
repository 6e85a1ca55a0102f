using System.Diagnostics;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// `FileVault.Web jobs --until-idle` as a child process over a harness's database and the test Redis: the job runner
/// alone, with short heartbeats, for tests that SIGKILL it at random points and start it again. <see cref="StartApp"/>
/// runs the whole app the same way, serving HTTP, for tests that kill it in the middle of a request.
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

    public static Process Start(ScanHarness harness, string? redis = null) =>
        Start(harness, ["jobs", "--until-idle"], redis, new Dictionary<string, string>());

    /// <summary>
    /// The app serving <paramref name="url"/> (http://127.0.0.1:port) over the harness's database and root, its first
    /// admin <paramref name="adminEmail"/> / <paramref name="adminPassword"/>, no scheduled scans. Its PostgreSQL
    /// sessions carry <paramref name="applicationName"/>, so a test can see when PostgreSQL has noticed the process gone.
    /// </summary>
    public static Process StartApp(ScanHarness harness, Uri url, string adminEmail, string adminPassword, string applicationName) =>
        Start(harness, [], null, new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = harness.Database.ConnectionString + ";Application Name=" + applicationName,
            ["ASPNETCORE_URLS"] = url.GetLeftPart(UriPartial.Authority),
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["FileVault__Scanner__SchedulesEnabled"] = "false",
            ["FILEVAULT_ADMIN_EMAIL"] = adminEmail,
            ["FILEVAULT_ADMIN_PASSWORD"] = adminPassword,
        });

    private static Process Start(ScanHarness harness, string[] arguments, string? redis, Dictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "FileVault.Web.dll"), .. arguments])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            // The app's content root (appsettings.json, wwwroot) is beside the dll.
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__Postgres"] = harness.Database.ConnectionString;
        start.Environment["ConnectionStrings__Redis"] = redis ?? TestEnvironment.Redis;
        start.Environment["FileVault__Jobs__HeartbeatInterval"] = "00:00:00.250";
        start.Environment["FileVault__Jobs__HeartbeatTimeout"] = "00:00:01";
        start.Environment["FileVault__Jobs__PollInterval"] = "00:00:00.100";
        start.Environment["FILEVAULT_ADMIN_EMAIL"] = "kill@t";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

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
