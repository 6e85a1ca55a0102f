using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Browsing;

public static class BrowsingServiceCollectionExtensions
{
    /// <summary>Browsing the catalog as a user sees it and editing what it holds beside the bytes (descriptions).</summary>
    public static IServiceCollection AddBrowsing(this IServiceCollection services)
    {
        services.AddScoped<CatalogBrowser>();
        services.AddScoped<EntryService>();
        return services;
    }
}
