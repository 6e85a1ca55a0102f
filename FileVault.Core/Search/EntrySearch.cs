using FileVault.Core.Access;
using FileVault.Core.Search.Meilisearch;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Search;

/// <summary>
/// The search entry point of pages and the API: Meilisearch when it is configured (PostgreSQL answering whenever it
/// cannot be trusted, see <see cref="MeilisearchEngine"/>), else PostgreSQL alone.
/// </summary>
public sealed class EntrySearch(PostgresSearch postgres, IServiceProvider services)
{
    public Task<Result<SearchResults>> SearchAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken) =>
        services.GetService<MeilisearchEngine>() is { } meilisearch
            ? meilisearch.SearchAsync(subject, query, cancellationToken)
            : postgres.SearchAsync(subject, query, cancellationToken);
}
