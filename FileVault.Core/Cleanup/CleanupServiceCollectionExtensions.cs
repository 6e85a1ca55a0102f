using Coravel;
using Coravel.Scheduling.Schedule.Interfaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Cleanup;

public static class CleanupServiceCollectionExtensions
{
    /// <summary>
    /// The cleanup runs' record and lease, and the retention sweeps (jobs, audit, metrics, statistics history). The
    /// sweeps that belong to a feature (expired uploads, refresh tokens, the thumbnail folder) are registered and
    /// scheduled by it and recorded here all the same.
    /// </summary>
    public static IServiceCollection AddCleanup(this IServiceCollection services)
    {
        services.AddOptions<CleanupOptions>().BindConfiguration("FileVault:Cleanup").ValidateDataAnnotations()
            .Validate(o => o.JobRetention > TimeSpan.Zero && o.AuditRetention > TimeSpan.Zero && o.StatisticsRetention > TimeSpan.Zero && o.RunRetention > TimeSpan.Zero,
                "FileVault:Cleanup retentions must be positive.")
            .ValidateOnStart();
        services.AddSingleton<CleanupRuns>();
        services.AddTransient<JobRetentionSweep>();
        services.AddTransient<AuditRetentionSweep>();
        services.AddTransient<MetricsRetentionSweep>();
        services.AddTransient<HistoryRetentionSweep>();
        services.AddSingleton<CleanupSchedule>();
        services.AddSweepCron<CleanupOptions>("jobs", o => o.Cron);
        services.AddSweepCron<CleanupOptions>("audit", o => o.Cron);
        services.AddSweepCron<CleanupOptions>("history", o => o.Cron);
        services.AddSweepCron<CleanupOptions>("metrics", o => o.MetricsCron);
        return services;
    }

    /// <summary>The retention sweeps' schedules (FileVault:Cleanup:Cron daily, MetricsCron hourly).</summary>
    public static void ScheduleCleanup(this IScheduler scheduler, IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<CleanupOptions>>().Value;
        scheduler.Schedule<JobRetentionSweep>().Cron(options.Cron).PreventOverlapping(nameof(JobRetentionSweep));
        scheduler.Schedule<AuditRetentionSweep>().Cron(options.Cron).PreventOverlapping(nameof(AuditRetentionSweep));
        scheduler.Schedule<HistoryRetentionSweep>().Cron(options.Cron).PreventOverlapping(nameof(HistoryRetentionSweep));
        scheduler.Schedule<MetricsRetentionSweep>().Cron(options.MetricsCron).PreventOverlapping(nameof(MetricsRetentionSweep));
    }
}
