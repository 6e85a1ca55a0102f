using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Duplicates;
using FileVault.Core.Jobs;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web dedup [--rounds N]`: runs the duplicate search as the app does, a dedup job in the jobs table taken by
/// the job runner (in this process, without the web host), and prints its figures as `name: value` lines (for
/// bench/dedup.sh). Like `scan`, it acts as the operator who can start the server's binary. A search's time is its
/// job's own, from the ledger's started_at to finished_at: neither the wait for the runner to take it (printed apart
/// as pickup_s) nor how this command notices the end is counted.
/// With --rounds N (the benchmark), each round first forgets every stored hash (they are a cache: a forgotten one is
/// only read again), then searches twice: "first" reads every candidate, "second" finds nothing changed. The best
/// of the rounds is printed, and the very first search apart (it also pays this process's start: code compiled on
/// first use, EF's model), since a server has done that before its admin asks.
/// </summary>
public static class DedupCommand
{
    private static readonly TimeSpan Watch = TimeSpan.FromMilliseconds(20);

    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["dedup", .. var options])
        {
            return null;
        }

        var rounds = options is ["--rounds", var n] ? int.Parse(n, CultureInfo.InvariantCulture) : 0;
        using var host = JobsCommand.BuildRunnerHost();
        await DatabaseMigrator.MigrateAsync(host.Services, CancellationToken.None);
        await host.StartAsync();
        try
        {
            if (rounds == 0)
            {
                var run = await SearchAsync(host.Services);
                if (run is null)
                {
                    return 1;
                }

                PrintRun(run);
                return 0;
            }

            var first = new List<Run>();
            var second = new List<Run>();
            for (var round = 1; round <= rounds; round++)
            {
                await host.Services.GetRequiredService<DuplicateFinder>().ForgetAllHashesAsync(CancellationToken.None);

                foreach (var (runs, name) in new[] { (first, "first"), (second, "second") })
                {
                    var run = await SearchAsync(host.Services);
                    if (run is null)
                    {
                        return 1;
                    }

                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"round {round} {name}: {run.Seconds:F3} s (pickup {run.PickupSeconds:F3} s, cpu {run.CpuSeconds:F3} s), {run.Summary.Groups} groups, {run.Summary.Read} read, {run.Summary.Reused} reused; {Steps(run)}"));
                    runs.Add(run);
                }
            }

            var groups = first.Concat(second).Select(r => r.Summary.Groups).Distinct().ToList();
            if (groups.Count != 1)
            {
                await Console.Error.WriteLineAsync($"error: the searches found different numbers of groups: {string.Join(", ", groups)}");
                return 1;
            }

            ScanCommand.Print("dedup_s", Seconds(first.Min(r => r.Seconds)));
            ScanCommand.Print("dedup_warm_s", Seconds(second.Min(r => r.Seconds)));
            ScanCommand.Print("dedup_first_in_process_s", Seconds(first[0].Seconds));
            ScanCommand.Print("pickup_max_s", Seconds(first.Concat(second).Max(r => r.PickupSeconds)));
            ScanCommand.Print("groups", groups[0]);
            ScanCommand.Print("candidates", first[0].Summary.Candidates);
            ScanCommand.Print("read", first.Max(r => r.Summary.Read));
            ScanCommand.Print("warm_read", second.Max(r => r.Summary.Read));
            return 0;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>One search as a job: queued, taken by the runner, and read back from the ledger once it ended.</summary>
    private static async Task<Run?> SearchAsync(IServiceProvider services)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var requested = await services.GetRequiredService<DuplicateScans>().RequestAsync(AccessSubject.System, CancellationToken.None);
        if (!requested.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"error: {requested.Error}");
            return null;
        }

        var ledger = services.GetRequiredService<JobLedger>();
        Job? job;
        // Only how soon the end is noticed depends on this interval; the time printed is the ledger's.
        while ((job = await ledger.GetAsync(requested.Value, CancellationToken.None)) is not { Status: JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled })
        {
            await Task.Delay(Watch);
        }

        if (job.Status != JobStatus.Succeeded || job.Summary is null || job.StartedAt is null || job.FinishedAt is null)
        {
            await Console.Error.WriteLineAsync($"error: dedup job {job.Id} {job.Status}: {job.Error}");
            return null;
        }

        var summary = JsonSerializer.Deserialize<DuplicateScanSummary>(job.Summary, JsonSerializerOptions.Web)!;
        return new Run(
            (job.FinishedAt.Value - job.StartedAt.Value).TotalSeconds,
            (job.StartedAt.Value - job.CreatedAt).TotalSeconds,
            (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds,
            summary,
            services.GetRequiredService<DuplicateFinder>().LastSteps.ToDictionary());
    }

    private static void PrintRun(Run run)
    {
        ScanCommand.Print("dedup_s", Seconds(run.Seconds));
        ScanCommand.Print("pickup_s", Seconds(run.PickupSeconds));
        ScanCommand.Print("groups", run.Summary.Groups);
        ScanCommand.Print("reclaimable_bytes", run.Summary.ReclaimableBytes);
        ScanCommand.Print("candidates", run.Summary.Candidates);
        ScanCommand.Print("read", run.Summary.Read);
        ScanCommand.Print("reused", run.Summary.Reused);
        ScanCommand.Print("changed", run.Summary.Changed);
        ScanCommand.Print("unreadable", run.Summary.Unreadable);
        ScanCommand.Print("skipped_roots", run.Summary.SkippedRoots);
        foreach (var (step, seconds) in run.Steps.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            ScanCommand.Print($"step_{step}_s", Seconds(seconds));
        }
    }

    private static string Steps(Run run) =>
        string.Join(" ", run.Steps.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key}={s.Value:F3}")));

    private static string Seconds(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture);

    /// <param name="CpuSeconds">This process's processor time from the request to noticing the end (PostgreSQL's not included).</param>
    private sealed record Run(double Seconds, double PickupSeconds, double CpuSeconds, DuplicateScanSummary Summary, IReadOnlyDictionary<string, double> Steps);
}
