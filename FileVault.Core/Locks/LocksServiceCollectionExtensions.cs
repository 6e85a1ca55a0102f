using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Locks;

public static class LocksServiceCollectionExtensions
{
    /// <summary>Hierarchical path locks and once-per-occurrence schedule claims in Redis (needs <c>AddFileVaultRedis</c>).</summary>
    public static IServiceCollection AddLocks(this IServiceCollection services)
    {
        services.AddSingleton<ResourceLocks>();
        services.AddSingleton<ScheduleOccurrences>();
        return services;
    }
}
