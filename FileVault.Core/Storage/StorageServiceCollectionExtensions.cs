using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Storage roots' recent health (registering roots and the admin's queries about them are Scanning's).</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton<RecentRootHealth>();
        return services;
    }
}
