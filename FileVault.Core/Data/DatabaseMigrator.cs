using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FileVault.Core.Data;

/// <summary>Applies EF Core migrations under a PostgreSQL advisory lock, so instances starting together migrate once.</summary>
public static class DatabaseMigrator
{
    // Any fixed 64-bit number; "FVMIGRAT" in ASCII.
    private const long MigrationLockKey = 0x46564D4947524154;

    /// <summary>Migrates the database of the app's services (command-line verbs, which start no web host).</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        await using var db = await services.GetRequiredService<IDbContextFactory<FileVaultDbContext>>().CreateDbContextAsync(cancellationToken);
        await MigrateAsync(db, cancellationToken);
    }

    /// <summary>
    /// Migrates as <see cref="MigrateAsync(IServiceProvider, CancellationToken)"/> and says what this run applied (pending
    /// before, asked again after: another instance may have applied some) and the latest migration this build knows. A
    /// database that refuses is an error (<c>migrate.failed</c>) with its reason, for the <c>migrate</c> verb to print.
    /// </summary>
    public static async Task<Result<MigrationReport>> MigrateAndReportAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<FileVaultDbContext>>().CreateDbContextAsync(cancellationToken);
            var pending = (await PendingAsync(db, cancellationToken)).ToList();
            await MigrateAsync(db, cancellationToken);
            var stillPending = await PendingAsync(db, cancellationToken);
            return new MigrationReport(pending.Except(stillPending).Count(), db.Database.GetMigrations().LastOrDefault());
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or DbUpdateException)
        {
            return new Error("migrate.failed", ex.Message);
        }
    }

    /// <summary>Migrations not yet applied; all of them while the database does not exist.</summary>
    private static async Task<IEnumerable<string>> PendingAsync(FileVaultDbContext db, CancellationToken cancellationToken) =>
        await db.Database.CanConnectAsync(cancellationToken) ? await db.Database.GetPendingMigrationsAsync(cancellationToken) : db.Database.GetMigrations();

    public static async Task MigrateAsync(FileVaultDbContext db, CancellationToken cancellationToken)
    {
        await EnsureDatabaseAsync(db, cancellationToken);

        // Session-level lock on one connection held open for the whole migration.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Creates the database when missing; the advisory lock needs a database to live in.</summary>
    private static async Task EnsureDatabaseAsync(FileVaultDbContext db, CancellationToken cancellationToken)
    {
        // The usual case (install.sh and compose create it): the database is there, no maintenance connection needed.
        if (await db.Database.CanConnectAsync(cancellationToken))
        {
            return;
        }

        // The data source's connection string has lost its password (Npgsql drops it unless Persist Security Info is
        // set), so the maintenance connection is cloned from a connection of that data source, which keeps the
        // password: a password-authenticated server refused the bare string ("No password has been provided").
        var appConnection = (NpgsqlConnection)db.Database.GetDbConnection();
        var target = new NpgsqlConnectionStringBuilder(appConnection.ConnectionString);
        var database = target.Database ?? throw new InvalidOperationException("The connection string names no database.");
        var maintenance = new NpgsqlConnectionStringBuilder(appConnection.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = await appConnection.CloneWithAsync(maintenance.ConnectionString, cancellationToken);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        try
        {
            var quoted = "\"" + database.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} ENCODING 'UTF8' TEMPLATE template0", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another instance created it first (a race between two CREATE DATABASE answers 23505, not 42P04).
        }
    }
}

/// <summary>What one migration run applied, and the newest migration of this build (null when it has none).</summary>
public sealed record MigrationReport(int Applied, string? Latest);
