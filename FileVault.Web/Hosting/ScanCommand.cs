using System.Diagnostics;
using System.Globalization;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Downloads;
using FileVault.Core.Media;
using FileVault.Core.Monitoring;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using FileVault.Core.Storage;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web scan --root DIR [--kind full|incremental]`: runs the app's own scanner once, without the web host,
/// and prints its figures as `name: value` lines. For scripts and for bench/scan.sh. Registers DIR when it is new. It
/// runs as <see cref="AccessSubject.System"/>: whoever can start the server's binary is its operator.
/// </summary>
public static class ScanCommand
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["scan", .. var options])
        {
            return null;
        }

        var root = Option(options, "--root");
        var kind = Option(options, "--kind") is "incremental" ? ScanKind.Incremental : ScanKind.Full;
        if (root is null || !Path.IsPathFullyQualified(root))
        {
            await Console.Error.WriteLineAsync("usage: FileVault.Web scan --root ABSOLUTE_DIR [--kind full|incremental]");
            return 2;
        }

        await using var services = await BuildServicesAsync();

        var rootId = await FindOrRegisterAsync(services, root);
        if (rootId is null)
        {
            return 1;
        }

        var stopwatch = Stopwatch.StartNew();
        var run = await services.GetRequiredService<Scanner>().RunAsync(rootId.Value, kind, "cli", CancellationToken.None);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        Print("scan_id", run.Id);
        Print("kind", run.Kind.ToString().ToLowerInvariant());
        Print("status", run.Status.ToString());
        Print("seen", run.Seen);
        Print("added", run.Added);
        Print("updated", run.Updated);
        Print("renamed", run.Renamed);
        Print("missing", run.Missing);
        Print("held_missing", run.HeldMissing);
        Print("errors", run.Errors);
        Print("scan_s", seconds.ToString("F2", CultureInfo.InvariantCulture));
        Print("walk_s", run.WalkSeconds.ToString("F2", CultureInfo.InvariantCulture));
        Print("merge_s", run.MergeSeconds.ToString("F2", CultureInfo.InvariantCulture));
        foreach (var (step, stepSeconds) in services.GetRequiredService<Scanner>().LastMergeSteps)
        {
            Print($"merge_{step}_s", stepSeconds.ToString("F2", CultureInfo.InvariantCulture));
        }

        Print("entries_per_second", run.EntriesPerSecond.ToString("F0", CultureInfo.InvariantCulture));
        Print("peak_rss_mb", PeakRssMegabytes().ToString("F0", CultureInfo.InvariantCulture));
        if (run.Message is not null)
        {
            Print("message", run.Message);
        }

        // What the app does after each completed scan: the storage statistics (timed apart from the scan).
        if (run.Status is ScanStatus.Completed or ScanStatus.AwaitingConfirmation)
        {
            var statistics = Stopwatch.StartNew();
            await services.GetRequiredService<StorageStatistics>().ComputeAsync(rootId.Value, run.Id, CancellationToken.None);
            Print("statistics_s", statistics.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture));
        }

        // What the app's background indexer would do next: bring the search index in line with the scan.
        var drain = await services.GetRequiredService<SearchIndexer>().DrainAsync();
        Print("search_indexed", drain.Indexed);
        Print("search_index_s", drain.Seconds.ToString("F2", CultureInfo.InvariantCulture));

        return run.Status is ScanStatus.Completed or ScanStatus.AwaitingConfirmation ? 0 : 1;
    }

    /// <summary>Core's services from the app's configuration, on a migrated database, without the web host.</summary>
    internal static async Task<ServiceProvider> BuildServicesAsync()
    {
        // A scan queues thumbnail jobs for its new images (Media's content listener, with the jobs every verb has); the
        // app's runners make them.
        var builder = CommandHost.CreateBuilder();
        builder.Services.AddDownloads();
        builder.Services.AddMedia();
        builder.Services.AddSearch();
        builder.Services.AddSingleton<StorageStatistics>();
        var services = builder.Services.BuildServiceProvider();
        await DatabaseMigrator.MigrateAsync(services, CancellationToken.None);
        return services;
    }

    private static async Task<int?> FindOrRegisterAsync(IServiceProvider services, string path)
    {
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        await using var scope = services.CreateAsyncScope();
        var existing = await scope.ServiceProvider.GetRequiredService<StorageRootQueries>()
            .FindByPathAsync(AccessSubject.System, fullPath, CancellationToken.None);
        if (!existing.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"error: {existing.Error}");
            return null;
        }

        if (existing.Value is { } rootId)
        {
            return rootId;
        }

        var registered = await ActivatorUtilities.CreateInstance<StorageRootRegistry>(scope.ServiceProvider)
            .RegisterAsync(AccessSubject.System, Path.GetFileName(fullPath), fullPath, isReadOnly: false, CancellationToken.None);
        if (!registered.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"error: {registered.Error}");
            return null;
        }

        return registered.Value.Id;
    }

    /// <summary>VmHWM: the most resident memory this process has used.</summary>
    private static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    internal static string? Option(string[] options, string name)
    {
        var index = Array.IndexOf(options, name);
        return index >= 0 && index + 1 < options.Length ? options[index + 1] : null;
    }

    internal static void Print(string name, object value) => Console.WriteLine($"{name}: {value}");
}
