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
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(
            sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set.")).Build());
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
}
