using System.Diagnostics;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// `FileVault.Web jobs --until-idle` as a child process over a harness's database and the test Redis: the job runner
/// alone, with short heartbeats, for tests that SIGKILL it at random points and start it again.
/// </summary>
public static class JobRunnerProcess
{
    public static Process Start(ScanHarness harness)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "FileVault.Web.dll"), "jobs", "--until-idle"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__Postgres"] = harness.Database.ConnectionString;
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        start.Environment["FileVault__Jobs__HeartbeatInterval"] = "00:00:00.250";
        start.Environment["FileVault__Jobs__HeartbeatTimeout"] = "00:00:01";
        start.Environment["FileVault__Jobs__PollInterval"] = "00:00:00.100";
        start.Environment["FILEVAULT_ADMIN_EMAIL"] = "kill@t";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { };
        process.BeginOutputReadLine();
        return process;
    }
}
