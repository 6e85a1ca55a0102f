using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Trash;

public static class TrashServiceCollectionExtensions
{
    /// <summary>The trash: its listing, the delete, restore and purge job handlers, and the retention schedule.</summary>
    public static IServiceCollection AddTrash(this IServiceCollection services)
    {
        services.AddOptions<TrashOptions>().BindConfiguration("FileVault:Trash").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TrashMover>();
        services.AddSingleton<TrashQueries>();
        services.AddScoped<TrashOperations>();
        services.AddTransient<TrashPurgeSchedule>();
        services.AddScoped<IJobHandler, DeleteJobHandler>();
        services.AddScoped<IJobHandler, RestoreJobHandler>();
        services.AddScoped<IJobHandler, PurgeJobHandler>();
        return services;
    }

    public static void ScheduleTrashPurge(this IScheduler scheduler, IServiceProvider services) =>
        scheduler.Schedule<TrashPurgeSchedule>().Cron(services.GetRequiredService<IOptions<TrashOptions>>().Value.PurgeCron)
            .PreventOverlapping(nameof(TrashPurgeSchedule));
}
