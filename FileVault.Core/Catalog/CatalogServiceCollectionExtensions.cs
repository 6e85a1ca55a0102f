using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Catalog;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>What the catalog itself needs: who hears of new content (thumbnails, EXIF), and the writer of folders' stamps.</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddSingleton<ContentListeners>();
        services.AddSingleton<FolderStamps>();
        return services;
    }
}
