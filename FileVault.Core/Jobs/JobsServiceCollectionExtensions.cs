using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>The jobs ledger, the job runner and live job events; each feature registers its own job handlers.</summary>
    public static IServiceCollection AddFileVaultJobs(this IServiceCollection services)
    {
        services.AddOptions<JobOptions>().BindConfiguration("FileVault:Jobs").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<JobLedger>();
        services.AddSingleton<JobEvents>();
        services.AddHostedService(sp => sp.GetRequiredService<JobEvents>());
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobQueries>();
        services.AddScoped<WriteRequests>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }
}
