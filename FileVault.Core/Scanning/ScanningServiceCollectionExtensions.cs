using Coravel;
using Coravel.Scheduling.Schedule.Interfaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Scanning;

public static class ScanningServiceCollectionExtensions
{
    /// <summary>The scanner, its jobs and Coravel's queue and scheduler.</summary>
    public static IServiceCollection AddScanning(this IServiceCollection services)
    {
        services.AddOptions<ScannerOptions>().BindConfiguration("FileVault:Scanner").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ScanMonitor>();
        services.AddSingleton<Scanner>();
        services.AddSingleton<RootHealthService>();
        services.AddScoped<StorageRootRegistry>();
        services.AddScoped<StorageRootQueries>();
        services.AddSingleton<HeldMissingReview>();
        services.AddSingleton<ScanQueries>();
        services.AddSingleton<ScanLauncher>();
        services.AddScoped<RootOnboarding>();
        services.AddHostedService<ScanProgressRelay>();
        services.AddTransient<ScanRootJob>();
        services.AddTransient<IncrementalScanSchedule>();
        services.AddTransient<FullScanSchedule>();
        services.AddTransient<MountHealthSchedule>();
        services.AddQueue();
        services.AddScheduler();
        return services;
    }

    /// <summary>Declares every scanner schedule, in one place (appsettings FileVault:Scanner holds the cron expressions).</summary>
    public static void ScheduleScans(this IScheduler scheduler, IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ScannerOptions>>().Value;
        if (!options.SchedulesEnabled)
        {
            return;
        }

        scheduler.Schedule<IncrementalScanSchedule>().Cron(options.IncrementalCron).PreventOverlapping(nameof(IncrementalScanSchedule));
        scheduler.Schedule<FullScanSchedule>().Cron(options.FullCron).PreventOverlapping(nameof(FullScanSchedule));
        scheduler.Schedule<MountHealthSchedule>().Cron(options.HealthCron).PreventOverlapping(nameof(MountHealthSchedule));
    }
}
