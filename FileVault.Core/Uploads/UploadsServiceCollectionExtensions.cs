using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Cleanup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Uploads;

public static class UploadsServiceCollectionExtensions
{
    /// <summary>The tus upload store, its completion, the browser's planning questions and the expiry schedule.</summary>
    public static IServiceCollection AddUploads(this IServiceCollection services)
    {
        services.AddOptions<UploadOptions>().BindConfiguration("FileVault:Uploads").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<UploadHashes>();
        services.AddSingleton<PendingChunks>();
        services.AddScoped<UploadStore>();
        services.AddScoped<UploadCompletion>();
        services.AddScoped<UploadPlanner>();
        services.AddTransient<UploadExpirySchedule>();
        services.AddSweepCron<UploadOptions>("uploads", o => o.ExpiryCron);
        return services;
    }

    public static void ScheduleUploadExpiry(this IScheduler scheduler, IServiceProvider services) =>
        scheduler.Schedule<UploadExpirySchedule>().Cron(services.GetRequiredService<IOptions<UploadOptions>>().Value.ExpiryCron)
            .PreventOverlapping(nameof(UploadExpirySchedule));
}
