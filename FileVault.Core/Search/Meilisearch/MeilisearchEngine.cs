using System.Text.Json;
using FileVault.Core.Access;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FileVault.Core.Search.Meilisearch;

/// <summary>
/// Search through Meilisearch, exact on permissions: Meilisearch filters by the user's readable path prefixes, then
/// every id it returns is checked again against the catalog and the grants as they are now
/// (<see cref="PostgresSearch.RecheckAsync"/>), so a stale document never shows an entry that moved, was trashed or
/// whose grant was taken away. When Meilisearch is unreachable, slower than <see cref="MeilisearchOptions.SearchTimeoutMs"/>,
/// answers an error, or is behind the catalog (<see cref="MeilisearchOptions.MaxLagSeconds"/>), PostgreSQL answers at
/// once and the results say so (<see cref="SearchResults.AnsweredByDatabase"/>).
/// </summary>
public sealed class MeilisearchEngine(
    MeilisearchClient client, PostgresSearch postgres, NpgsqlDataSource dataSource, IOptions<MeilisearchOptions> options,
    ILogger<MeilisearchEngine> logger)
{
    public async Task<Result<SearchResults>> SearchAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var parsed = SearchCriteria.From(query);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }

        var criteria = parsed.Value;
        // 초성 (ㅎㅇㄹ, 회ㅇ) is matched exactly by PostgreSQL; Meilisearch's word and prefix matching has no equivalent.
        // Photos' EXIF (camera, day taken) is not in Meilisearch's documents either.
        // A cursor with sort keys was made by PostgreSQL (Meilisearch's are offsets): the walk it started goes on there.
        if (criteria.Words.Any(Hangul.HasInitialConsonant) || query.HasPhotoFilter || query.After?.Key is not null)
        {
            return await postgres.SearchAsync(subject, query, cancellationToken);
        }

        var scope = await postgres.ScopeAsync(subject, query, cancellationToken);
        if (!scope.IsSuccess)
        {
            return scope.Error!;
        }

        var settings = options.Value;
        var lag = await LagAsync(cancellationToken);
        if (lag is not null)
        {
            logger.LogDebug("Meilisearch is behind the catalog ({Lag}); the database answers", lag);
            return await FromDatabaseAsync(subject, query, cancellationToken);
        }

        var filter = MeilisearchFilter.For(query, criteria, scope.Value);
        if (filter is null)
        {
            return new SearchResults([], 0, false) { Plan = SearchPlan.Meilisearch };
        }

        MeilisearchSearchResponse response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.SearchTimeoutMs);
            response = await client.SearchAsync(settings.Index, new MeilisearchSearchRequest(
                criteria.Phrase, filter.Length == 0 ? null : filter, MeilisearchFilter.Sort(query), query.Start, query.PageSize, ["id"]), timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && ex is HttpRequestException or MeilisearchException or OperationCanceledException or JsonException)
        {
            logger.LogWarning("Meilisearch did not answer a search ({Reason}); the database answers", ex.Message);
            return await FromDatabaseAsync(subject, query, cancellationToken);
        }

        var ids = response.Hits.Select(h => h.Id).ToList();
        var hits = await postgres.RecheckAsync(query, criteria, scope.Value, ids, cancellationToken);
        // Meilisearch's count is an estimate, and the recheck may have dropped a stale hit or two.
        var total = Math.Max((response.EstimatedTotalHits ?? 0) - (ids.Count - hits.Count), query.Start + hits.Count);
        // Meilisearch pages by offset, up to its paging depth (past the total's cap by one page): its cursor is the offset.
        var end = query.Start + ids.Count;
        var next = ids.Count == query.PageSize && end < total && end <= SearchQuery.TotalCap ? new SearchCursor(end, null).Encode() : null;
        return new SearchResults(hits, Math.Min(total, SearchQuery.TotalCap), total > SearchQuery.TotalCap)
        {
            Next = next,
            Plan = SearchPlan.Meilisearch,
        };
    }

    /// <summary>Why Meilisearch cannot be trusted to be current, or null: never fully synced, or a change queued too long ago.</summary>
    internal async Task<string?> LagAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT reconciled_at IS NULL FROM meili_sync),
                   (SELECT extract(epoch FROM now() - queued_at)::float8 FROM meili_outbox ORDER BY id LIMIT 1)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.GetBoolean(0))
        {
            return "never fully synced";
        }

        return !reader.IsDBNull(1) && reader.GetDouble(1) > options.Value.MaxLagSeconds
            ? $"oldest change queued {reader.GetDouble(1):F0} s ago"
            : null;
    }

    private async Task<Result<SearchResults>> FromDatabaseAsync(AccessSubject subject, SearchQuery query, CancellationToken cancellationToken)
    {
        var result = await postgres.SearchAsync(subject, query, cancellationToken);
        return result.IsSuccess ? result.Value with { AnsweredByDatabase = true } : result;
    }
}
