using FileVault.Core.Access;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Data;

/// <summary>
/// Migrates and seeds in the background with back-off, so the app starts (and /health/live answers) even while
/// PostgreSQL is still down; <see cref="DatabaseState"/> says when it is done.
/// </summary>
public sealed class DatabaseInitializer(
    IServiceScopeFactory scopes,
    DatabaseState state,
    IOptions<SeedOptions> seed,
    IOptions<ScannerOptions> scanner,
    TimeProvider time,
    ILogger<DatabaseInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstAttemptTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Tries once before the other hosted services start (Data Protection reads its keys from the database), and
    /// only when that fails leaves the retrying to the background, so a down database never blocks start-up.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(FirstAttemptTimeout);
        try
        {
            await InitializeAsync(timeout.Token);
            state.MarkReady();
            logger.LogInformation("Database ready");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            state.MarkFailed(ex.Message);
            logger.LogWarning("Database not ready at start-up ({Reason}); retrying in the background", ex.Message);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!state.IsReady && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(stoppingToken);
                state.MarkReady();
                logger.LogInformation("Database ready");
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                state.MarkFailed(ex.Message);
                // Expected while PostgreSQL starts: one line per attempt, the stack only for the unexpected.
                if (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException { InnerException: Npgsql.NpgsqlException })
                {
                    logger.LogWarning("Database not ready ({Reason}), retrying in {Delay}", ex.Message, delay);
                }
                else
                {
                    logger.LogError(ex, "Database initialisation failed, retrying in {Delay}", delay);
                }

                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<FileVaultDbContext>();
        await DatabaseMigrator.MigrateAsync(db, cancellationToken);
        await services.GetRequiredService<AdminSeeder>().SeedAsync(Console.Out, cancellationToken);
        await SeedStorageRootAsync(db, services, cancellationToken);
        var abandoned = await services.GetRequiredService<Jobs.JobLedger>().MarkAbandonedAsync(cancellationToken);
        if (abandoned > 0)
        {
            logger.LogWarning("Marked {Count} jobs of stopped processes interrupted", abandoned);
        }
    }

    private async Task SeedStorageRootAsync(FileVaultDbContext db, IServiceProvider services, CancellationToken cancellationToken)
    {
        var (path, name) = seed.Value switch
        {
            { StorageRoot: { Length: > 0 } dir } => (dir, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))),
            { SampleRoot: { Length: > 0 } dir } => (dir, "Sample"),
            _ => (null, null),
        };
        if (path is null || name is null)
        {
            return;
        }

        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (await db.StorageRoots.AnyAsync(r => r.Path == fullPath, cancellationToken))
        {
            return;
        }

        if (seed.Value.StorageRoot is not { Length: > 0 } && !Directory.Exists(fullPath))
        {
            var files = SampleTree.Create(fullPath);
            logger.LogInformation("Created the sample file server at {Path} with {Count} files", fullPath, files);
        }

        if (string.IsNullOrEmpty(name))
        {
            name = "Files";
        }

        // Indexed at once, so the first screen has files; unless this instance must never scan on its own.
        var result = scanner.Value.SchedulesEnabled
            ? await services.GetRequiredService<RootOnboarding>().RegisterAsync(AccessSubject.System, name, fullPath, isReadOnly: false, cancellationToken)
            : await services.GetRequiredService<StorageRootRegistry>().RegisterAsync(AccessSubject.System, name, fullPath, isReadOnly: false, cancellationToken);
        if (!result.IsSuccess)
        {
            logger.LogError("Could not register storage root {Path}: {Error}", fullPath, result.Error);
        }
    }
}
