using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using Microsoft.Extensions.DependencyInjection.Extensions;
using FileVault.Core.Catalog;
using FileVault.Core.Operations;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Core.Duplicates;
using FileVault.Core.Browsing;
using FileVault.Core.Locks;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web jobs [--until-idle]`: runs the job runner without the web host — resuming what a stopped process
/// left — and, with --until-idle, exits once no job is queued or running. For operators, and for the kill tests,
/// which SIGKILL this process at random points and start it again.
/// </summary>
public static class JobsCommand
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["jobs", .. var options])
        {
            return null;
        }

        var untilIdle = options.Contains("--until-idle");
        using var host = BuildRunnerHost();
        await DatabaseMigrator.MigrateAsync(host.Services, CancellationToken.None);
        await host.StartAsync();
        if (!untilIdle)
        {
            await host.WaitForShutdownAsync();
            return 0;
        }

        await host.Services.GetRequiredService<JobRunner>().WaitUntilIdleAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        await host.StopAsync();
        return 0;
    }

    /// <summary>A host with the job runner and the handlers of file operations, trash and duplicates, and nothing else.</summary>
    internal static IHost BuildRunnerHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddFileVaultData();
        builder.Services.AddFileVaultRedis();
        builder.Services.AddLocks();
        builder.Services.AddFileVaultAccess();
        builder.Services.AddStorage();
        builder.Services.AddCatalog();
        builder.Services.AddBrowsing();
        builder.Services.AddScanning();
        builder.Services.AddFileVaultJobs();
        builder.Services.AddOperations();
        builder.Services.AddTrash();
        builder.Services.AddDuplicates();
        // Only the runner: no start-up seeding, no schedules.
        builder.Services.RemoveAll<IHostedService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobEvents>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return builder.Build();
    }
}
