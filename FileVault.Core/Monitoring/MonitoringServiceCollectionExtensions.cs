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
}
