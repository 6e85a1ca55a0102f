using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database for one test class, cloned from a migrated template (one per migration set), so
/// classes run in parallel without sharing rows and without paying for migrations each time.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? s_templateName;

    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>A migrated database (roles and admin are seeded by the app or the test, not here).</summary>
    public static async Task<TestDatabase> CreateAsync()
    {
        var template = await EnsureTemplateAsync();
        var database = new TestDatabase(UniqueName("fv_test"));
        await ExecuteOnServerAsync($"CREATE DATABASE \"{database.Name}\" TEMPLATE \"{template}\"");
        return database;
    }

    /// <summary>An empty database that does not exist yet, for tests of migration itself.</summary>
    public static TestDatabase CreateUnmigrated() => new(UniqueName("fv_test_empty"));

    public FileVaultDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<FileVaultDbContext>().UseNpgsql(ConnectionString).UseSnakeCaseNamingConvention().Options);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }

    private static async Task<string> EnsureTemplateAsync()
    {
        if (s_templateName is not null)
        {
            return s_templateName;
        }

        await TemplateLock.WaitAsync();
        try
        {
            if (s_templateName is not null)
            {
                return s_templateName;
            }

            string lastMigration;
            await using (var probe = new TestDatabase("unused").CreateDbContext())
            {
                lastMigration = probe.Database.GetMigrations().Last();
            }

            var name = "fv_template_" + lastMigration.ToLowerInvariant();
            if (!await DatabaseExistsAsync(name))
            {
                // Build under a temporary name and rename when complete, so a killed run never leaves a half-made template.
                var building = new TestDatabase(UniqueName("fv_template_building"));
                await using (var db = building.CreateDbContext())
                {
                    await DatabaseMigrator.MigrateAsync(db, CancellationToken.None);
                }

                NpgsqlConnection.ClearAllPools();
                try
                {
                    await ExecuteOnServerAsync($"ALTER DATABASE \"{building.Name}\" RENAME TO \"{name}\"");
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                    await building.DisposeAsync();
                }
            }

            return s_templateName = name;
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    private static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];

    private static async Task<bool> DatabaseExistsAsync(string name)
    {
        await using var connection = await OpenServerConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        command.Parameters.AddWithValue(name);
        return await command.ExecuteScalarAsync() is not null;
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = await OpenServerConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenServerConnectionAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = "postgres", Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (NpgsqlException ex)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable on 127.0.0.1:{TestEnvironment.PostgresPort}. Run the tests with scripts/test.sh, " +
                "which starts it (or scripts/services.sh start).", ex);
        }

        return connection;
    }
}
