using System.Diagnostics;
using System.Globalization;
using FileVault.Core.Duplicates;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web dedup`: runs the app's duplicate search once over every registered root, without the web host and
/// without the job runner, and prints its figures as `name: value` lines (for bench/dedup.sh). Like `scan`, it acts as
/// the operator who can start the server's binary.
/// </summary>
public static class DedupCommand
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["dedup", ..])
        {
            return null;
        }

        await using var services = await ScanCommand.BuildServicesAsync();
        var finder = ActivatorUtilities.CreateInstance<DuplicateFinder>(services);
        var stopwatch = Stopwatch.StartNew();
        var result = await finder.RunAsync(_ => Task.FromResult<FileVault.Core.Error?>(null), CancellationToken.None);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (!result.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"error: {result.Error}");
            return 1;
        }

        var summary = result.Value;
        ScanCommand.Print("dedup_s", seconds.ToString("F3", CultureInfo.InvariantCulture));
        ScanCommand.Print("groups", summary.Groups);
        ScanCommand.Print("reclaimable_bytes", summary.ReclaimableBytes);
        ScanCommand.Print("candidates", summary.Candidates);
        ScanCommand.Print("read", summary.Read);
        ScanCommand.Print("reused", summary.Reused);
        ScanCommand.Print("changed", summary.Changed);
        ScanCommand.Print("unreadable", summary.Unreadable);
        ScanCommand.Print("skipped_roots", summary.SkippedRoots);
        foreach (var (step, stepSeconds) in finder.LastSteps.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            ScanCommand.Print($"step_{step}_s", stepSeconds.ToString("F3", CultureInfo.InvariantCulture));
        }
        return 0;
    }
}
