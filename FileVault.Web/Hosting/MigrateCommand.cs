using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

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
        try
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<FileVaultDbContext>>().CreateDbContextAsync();
            // Pending before, asked again after: the count of what this run applied (another instance may have done some).
            var pending = (await PendingAsync(db)).ToList();
            await DatabaseMigrator.MigrateAsync(db, CancellationToken.None);
            var stillPending = await PendingAsync(db);
            ScanCommand.Print("applied", pending.Except(stillPending).Count());
            ScanCommand.Print("latest", db.Database.GetMigrations().LastOrDefault() ?? "none");
            return 0;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or DbUpdateException)
        {
            await Console.Error.WriteLineAsync($"error: migrating the database failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Migrations not yet applied; all of them while the database does not exist.</summary>
    private static async Task<IEnumerable<string>> PendingAsync(FileVaultDbContext db) =>
        await db.Database.CanConnectAsync() ? await db.Database.GetPendingMigrationsAsync() : db.Database.GetMigrations();
}
