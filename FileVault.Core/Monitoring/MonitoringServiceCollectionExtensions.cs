using FileVault.Core.Catalog;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    public const string ReadyTag = "ready";

    /// <summary>Health checks: /health/live needs none, /health/ready runs those tagged <see cref="ReadyTag"/>.</summary>
    public static IServiceCollection AddFileVaultHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag])
            .AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        return services;
    }

    /// <summary>The system dashboard: the live sampler (running only while an admin page subscribes) and the one-minute history.</summary>
    public static IServiceCollection AddSystemMonitoring(this IServiceCollection services)
    {
        services.AddOptions<MonitoringOptions>().BindConfiguration("FileVault:Monitoring").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WatchedPlaces>();
        services.AddSingleton<SystemSampler>();
        services.AddSingleton<MetricsHistory>();
        services.AddSingleton<ServiceHealth>();
        services.AddSingleton<QueueStats>();
        services.AddSingleton<ScanSchedule>();
        services.AddSingleton<StorageStatistics>();
        services.AddSingleton<IContentListener>(sp => sp.GetRequiredService<StorageStatistics>());
        services.AddHostedService(sp => sp.GetRequiredService<MetricsHistory>());
        return services;
    }
}
