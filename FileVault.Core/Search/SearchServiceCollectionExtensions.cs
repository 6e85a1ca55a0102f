using System.Net.Http.Headers;
using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Search.Meilisearch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Search;

public static class SearchServiceCollectionExtensions
{
    /// <summary>Search on PostgreSQL (scoped: it asks the circuit's or request's access evaluator).</summary>
    public static IServiceCollection AddSearch(this IServiceCollection services)
    {
        services.AddScoped<PostgresSearch>();
        services.AddScoped<EntrySearch>();
        services.AddSingleton<SearchStatistics>();
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<SearchBacklog>();
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section);
        services.AddHostedService<SearchIndexWorker>();
        return services;
    }

    /// <summary>
    /// Search on PostgreSQL, and Meilisearch in front of it when <c>FileVault:Search:Meilisearch:Url</c> is set: its
    /// client, index job, reconciliation and engine. Without the URL nothing of Meilisearch is registered.
    /// </summary>
    public static IServiceCollection AddSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSearch();
        var meilisearch = configuration.GetSection(MeilisearchOptions.Section).Get<MeilisearchOptions>() ?? new MeilisearchOptions();
        if (!meilisearch.IsConfigured)
        {
            return services;
        }

        services.AddOptions<MeilisearchOptions>().BindConfiguration(MeilisearchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<MeilisearchClient>((provider, http) =>
        {
            var settings = provider.GetRequiredService<IOptions<MeilisearchOptions>>().Value;
            var url = settings.Url!.TrimEnd('/') + "/";
            http.BaseAddress = new Uri(url, UriKind.Absolute);
            // Searches carry their own short timeout (SearchTimeoutMs); this bounds the indexing calls.
            http.Timeout = TimeSpan.FromSeconds(settings.TaskTimeoutSeconds);
            if (!string.IsNullOrEmpty(settings.ApiKey))
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
            }
        });
        services.AddTransient<MeilisearchIndexer>();
        services.AddScoped<MeilisearchEngine>();
        services.AddTransient<MeilisearchReconcileSchedule>();
        services.AddHostedService<MeilisearchIndexWorker>();
        return services;
    }

    /// <summary>The full Meilisearch reconciliation, hourly by default; nothing when Meilisearch is not configured.</summary>
    public static void ScheduleMeilisearchReconciliation(this IScheduler scheduler, IServiceProvider services)
    {
        var settings = services.GetService<IOptions<MeilisearchOptions>>()?.Value;
        if (settings is not { IsConfigured: true })
        {
            return;
        }

        scheduler.Schedule<MeilisearchReconcileSchedule>().Cron(settings.ReconcileCron).PreventOverlapping(nameof(MeilisearchReconcileSchedule));
    }
}
