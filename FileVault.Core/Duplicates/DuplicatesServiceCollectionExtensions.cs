using FileVault.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Duplicates;

public static class DuplicatesServiceCollectionExtensions
{
    /// <summary>The duplicate finder, its job, the report and resolving a group through the trash.</summary>
    public static IServiceCollection AddDuplicates(this IServiceCollection services)
    {
        services.AddSingleton<DuplicateFinder>();
        services.AddSingleton<DuplicateScans>();
        services.AddScoped<DuplicateReport>();
        services.AddScoped<IJobHandler, DuplicateScanJobHandler>();
        return services;
    }
}
