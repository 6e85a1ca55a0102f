using FileVault.Core.Data;

namespace FileVault.Web.Hosting;

/// <summary>
/// `FileVault.Web migrate`: brings the database to this build's schema and exits, without the web host. The app also
/// migrates when it starts; an upgrade runs this first (scripts/install.sh) so that a migration that fails stops the
/// upgrade while the old build still serves, instead of leaving a new service that never turns ready. Prints
/// `applied: N` and `latest: NAME`; exits 1 with the reason when the database refuses.
/// </summary>
public static class MigrateCommand
{
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args is not ["migrate"])
        {
            return null;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // EF logs its probe of a not yet created history table as a failed command; a real failure is reported below.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Services.AddFileVaultData();
        await using var services = builder.Services.BuildServiceProvider();
        var migrated = await DatabaseMigrator.MigrateAndReportAsync(services, CancellationToken.None);
        if (!migrated.IsSuccess)
        {
            await Console.Error.WriteLineAsync($"error: migrating the database failed: {migrated.Error!.Message}");
            return 1;
        }

        ScanCommand.Print("applied", migrated.Value.Applied);
        ScanCommand.Print("latest", migrated.Value.Latest ?? "none");
        return 0;
    }
}
