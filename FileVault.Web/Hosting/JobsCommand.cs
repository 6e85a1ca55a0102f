using FileVault.Core.Data;
using FileVault.Core.Duplicates;
using FileVault.Core.Jobs;
using FileVault.Core.Operations;
using FileVault.Core.Trash;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        var builder = CommandHost.CreateBuilder();
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
