using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Catalog;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>Browsing the catalog and editing what it holds beside the bytes (descriptions).</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddScoped<CatalogBrowser>();
        services.AddScoped<EntryService>();
        services.AddSingleton<ContentListeners>();
        return services;
    }
}
