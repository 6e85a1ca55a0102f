using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The job runner, live job events, the file operations and the trash.</summary>
    public static IServiceCollection AddFileVaultJobs(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>().BindConfiguration("FileVault:Jobs").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TrashOptions>().BindConfiguration("FileVault:Trash").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<JobEvents>();
        services.AddHostedService(sp => sp.GetRequiredService<JobEvents>());
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobQueries>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddScoped<FileOperations>();
        services.AddScoped<WriteAccess>();
        services.AddScoped<CompressOperations>();
        services.AddSingleton<TrashMover>();
        services.AddSingleton<TrashQueries>();
        services.AddTransient<TrashPurgeSchedule>();
        services.AddScoped<IJobHandler, MoveJobHandler>();
        services.AddScoped<IJobHandler, CopyJobHandler>();
        services.AddScoped<IJobHandler, DeleteJobHandler>();
        services.AddScoped<IJobHandler, RestoreJobHandler>();
        services.AddScoped<IJobHandler, PurgeJobHandler>();
        services.AddScoped<IJobHandler, CompressJobHandler>();
        return services;
    }

    public static void ScheduleTrashPurge(this IScheduler scheduler, IServiceProvider services) =>
        scheduler.Schedule<TrashPurgeSchedule>().Cron(services.GetRequiredService<IOptions<TrashOptions>>().Value.PurgeCron)
            .PreventOverlapping(nameof(TrashPurgeSchedule));
}
