using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Search;

public static class SearchServiceCollectionExtensions
{
    /// <summary>Search on PostgreSQL (scoped: it asks the circuit's or request's access evaluator).</summary>
    public static IServiceCollection AddSearch(this IServiceCollection services)
    {
        services.AddScoped<PostgresSearch>();
        services.AddSingleton<SearchStatistics>();
        services.AddSingleton<SearchIndexer>();
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section);
        services.AddHostedService<SearchIndexWorker>();
        return services;
    }
}
