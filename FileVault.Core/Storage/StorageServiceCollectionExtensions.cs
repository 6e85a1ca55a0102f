using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Storage roots: registering them and the admin's queries about them.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddScoped<StorageRootRegistry>();
        services.AddScoped<StorageRootQueries>();
        services.AddSingleton<RecentRootHealth>();
        return services;
    }
}
