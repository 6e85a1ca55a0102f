using Coravel;
using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Catalog;
using FileVault.Core.Cleanup;
using FileVault.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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
        services.AddTransient<ThumbnailFolderSweep>();
        services.AddSweepCron<MediaOptions>("thumbnails", o => o.FolderSweepCron);
        return services;
    }

    /// <summary>The thumbnail folder's one sweep (FileVault:Media:FolderSweepCron), recorded with the other cleanups.</summary>
    public static void ScheduleThumbnailSweep(this IScheduler scheduler, IServiceProvider services) =>
        scheduler.Schedule<ThumbnailFolderSweep>().Cron(services.GetRequiredService<IOptions<MediaOptions>>().Value.FolderSweepCron)
            .PreventOverlapping(nameof(ThumbnailFolderSweep));
}
