using FileVault.Core.Access;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FileVault.Core.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>PostgreSQL through one shared data source, EF Core with retries, migrations and seeding at start-up.</summary>
    public static IServiceCollection AddFileVaultData(this IServiceCollection services)
    {
        // Read when first resolved, not now, so hosts and tests can still change configuration after registration.
        services.AddSingleton(sp => CreateDataSource(
            sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set.")));
        // A factory for services and components that need short-lived contexts (Blazor circuits, the scanner), and a
        // scoped context from it for everything else (Identity's stores, request handlers). Pooled: a context is handed back
        // reset (change tracker, transaction, connection closed) instead of built anew with its own service scope, which
        // was a tenth of the app's CPU in a folder upload of small files (a dozen short contexts per file). The context
        // keeps no state of its own beyond what EF resets.
        services.AddPooledDbContextFactory<FileVaultDbContext>((sp, options) => options.UseNpgsql(
            sp.GetRequiredService<NpgsqlDataSource>(),
            npgsql => npgsql.EnableRetryOnFailure(maxRetryCount: 5, maxRetryDelay: TimeSpan.FromSeconds(5), errorCodesToAdd: null))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(sp.GetRequiredService<AccountChangeAnnouncer>()));
        services.AddSingleton<AccountChangeAnnouncer>();
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<FileVaultDbContext>>().CreateDbContext());

        services.AddOptions<SeedOptions>().BindConfiguration("FileVault:Seed");
        services.AddOptions<FirstAdminOptions>()
            .BindConfiguration("FileVault:FirstAdmin")
            .Configure<IConfiguration>((options, config) =>
            {
                if (config["FILEVAULT_ADMIN_EMAIL"] is { Length: > 0 } email)
                {
                    options.Email = email;
                }

                if (config["FILEVAULT_ADMIN_PASSWORD"] is { Length: > 0 } password)
                {
                    options.Password = password;
                }
            })
            .Validate(o => o.Email.Contains('@', StringComparison.Ordinal), "FILEVAULT_ADMIN_EMAIL must be an e-mail address.")
            .ValidateOnStart();

        services.AddSingleton<DatabaseState>();
        services.AddHostedService<DatabaseInitializer>();
        return services;
    }

    /// <summary>The statements a connection runs repeatedly after this many uses are prepared on it, unless the connection
    /// string says otherwise.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// The data source for a connection string, with automatic preparation on unless the string sets
    /// <c>Max Auto Prepare</c> itself (0 turns it off). Prepared, the statements repeated on every request (access, the
    /// upload's checks and its catalog change) are no longer parsed and planned each time. It also keeps the triggers'
    /// cached plans: a connection with no prepared statement is handed back to the pool with <c>DISCARD ALL</c>, which
    /// throws away the plans PL/pgSQL caches per session, so each trigger's statements were planned again on every
    /// change. With prepared statements Npgsql resets a returned connection without discarding plans (the session's
    /// settings, temporary tables, cursors, listeners and session advisory locks are still reset). In a folder upload of
    /// small files PostgreSQL's CPU per file fell from 3.2 ms to 1.7. A prepared statement may be given a generic plan
    /// (made without its values) after five runs: a query whose best plan depends on its values, as a search's does on
    /// a word's frequency, sets <c>plan_cache_mode = force_custom_plan</c> in its transaction (see PostgresSearch).
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Npgsql's own builder answers ContainsKey for every keyword it knows, set or not: the keys as written are asked.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!written.Keys.Cast<string>().Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        return builder.Build();
    }
}
