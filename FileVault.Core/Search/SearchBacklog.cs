using FileVault.Core.Access;
using Npgsql;

namespace FileVault.Core.Search;

/// <summary>
/// One queue of catalog changes not indexed yet: how many (exact up to <see cref="SearchBacklog.CountLimit"/>, then
/// "at least") and how long the oldest has waited.
/// </summary>
public sealed record IndexBacklog(string Index, long Queued, bool AtLeast, TimeSpan? OldestAge);

/// <summary>
/// How far search is behind the catalog, for the services page: the name index's <c>search_outbox</c> and, when
/// Meilisearch is on, <c>meili_outbox</c>. Counts are bounded (a LIMIT under the count) so a page refreshing every few
/// seconds never counts a million queued rows; the oldest is the first by id, read from the primary key. Admins only.
/// </summary>
public sealed class SearchBacklog(NpgsqlDataSource data)
{
    public const int CountLimit = 100_000;

    public async Task<Result<IReadOnlyList<IndexBacklog>>> ReadAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the search index's backlog.");
        }

        await using var command = data.CreateCommand($"""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM search_outbox LIMIT {CountLimit + 1}) q),
                   (SELECT now() - queued_at FROM search_outbox ORDER BY id LIMIT 1),
                   (SELECT enabled FROM meili_sync),
                   (SELECT count(*) FROM (SELECT 1 FROM meili_outbox LIMIT {CountLimit + 1}) q),
                   (SELECT now() - queued_at FROM meili_outbox ORDER BY id LIMIT 1)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var list = new List<IndexBacklog> { Backlog("postgres", reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetTimeSpan(1)) };
        if (!reader.IsDBNull(2) && reader.GetBoolean(2))
        {
            list.Add(Backlog("meilisearch", reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetTimeSpan(4)));
        }

        return list;
    }

    private static IndexBacklog Backlog(string index, long counted, TimeSpan? oldest) =>
        new(index, Math.Min(counted, CountLimit), counted > CountLimit, oldest is { } age && age < TimeSpan.Zero ? TimeSpan.Zero : oldest);
}
