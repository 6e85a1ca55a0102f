using FileVault.Core.Catalog;
using FileVault.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Media;

public static class MediaServiceCollectionExtensions
{
    /// <summary>Thumbnails (made with SkiaSharp, cached in Redis) and EXIF.</summary>
    public static IServiceCollection AddMedia(this IServiceCollection services)
    {
        services.AddOptions<MediaOptions>().BindConfiguration("FileVault:Media").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ThumbnailGenerator>();
        services.AddSingleton<ThumbnailCache>();
        services.AddSingleton<ThumbnailFolder>();
        services.AddSingleton<ThumbnailStore>();
        services.AddScoped<ThumbnailService>();
        services.AddSingleton<ExifCatalog>();
        services.AddScoped<ExifService>();
        services.AddSingleton<ThumbnailQueue>();
        services.AddSingleton<IContentListener>(sp => sp.GetRequiredService<ThumbnailQueue>());
        services.AddScoped<IJobHandler, ThumbnailJobHandler>();
        return services;
    }
}
