using System.Collections.Concurrent;
using System.Collections.Frozen;
using Npgsql;

namespace FileVault.Core.Search;

/// <summary>
/// How many index rows hold a token, read from PostgreSQL's own statistics of <c>entry_search.tokens</c> (its most
/// common elements and their frequencies, 1,000 as the column's statistics target asks), refreshed every minute. A token
/// not among them is rarer than the rarest listed one. Search uses this to pick its plan and the rarest tokens of each
/// word (<see cref="PostgresSearch"/>); it never trusts the planner to guess either.
/// </summary>
public sealed class SearchStatistics(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan NoStatisticsMaxAge = TimeSpan.FromSeconds(5);
    private const int MaxScopes = 10_000;
    private volatile Snapshot? _snapshot;
    private readonly ConcurrentDictionary<string, (int Rows, DateTimeOffset ReadAt)> _scopes = new(StringComparer.Ordinal);

    internal sealed record Snapshot(double TotalRows, FrozenDictionary<int, double> Frequencies, double RarestListed, DateTimeOffset ReadAt)
    {
        /// <summary>About how many index rows hold <paramref name="token"/>; an unlisted token is at most the rarest listed.</summary>
        public double Rows(int token) => TotalRows * (Frequencies.TryGetValue(token, out var frequency) ? frequency : RarestListed);

        /// <summary>Whether the token is among the common ones (so its estimate is a measurement, not a bound).</summary>
        public bool IsListed(int token) => Frequencies.ContainsKey(token);
    }

    internal async Task<Snapshot> GetAsync(CancellationToken cancellationToken)
    {
        var current = _snapshot;
        // Without statistics (never analysed yet) every token counts as rare: asked again soon, not in a minute.
        if (current is not null && time.GetUtcNow() - current.ReadAt < (current.Frequencies.Count > 0 ? MaxAge : NoStatisticsMaxAge))
        {
            return current;
        }

        await using var command = dataSource.CreateCommand("""
            SELECT greatest(c.reltuples, 0)::float8,
                   s.most_common_elems::text::int[],
                   s.most_common_elem_freqs
            FROM pg_class c
            LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'entry_search' AND s.attname = 'tokens'
            WHERE c.oid = 'entry_search'::regclass
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = 0d;
        var frequencies = new Dictionary<int, double>();
        var rarest = 1d;
        if (await reader.ReadAsync(cancellationToken))
        {
            rows = reader.GetDouble(0);
            if (!reader.IsDBNull(1) && !reader.IsDBNull(2))
            {
                var elements = reader.GetFieldValue<int[]>(1);
                var freqs = reader.GetFieldValue<float[]>(2);
                for (var i = 0; i < elements.Length && i < freqs.Length; i++)
                {
                    frequencies[elements[i]] = freqs[i];
                }

                // After one frequency per element come the minimum, the maximum and the null fraction.
                rarest = freqs.Length > elements.Length ? freqs[elements.Length] : 0;
            }
            else
            {
                // Never analysed (a new or small catalog): every token counts as rare, which plans by the index.
                rarest = 0;
            }
        }

        var snapshot = new Snapshot(rows, frequencies.ToFrozenDictionary(), rarest, time.GetUtcNow());
        _snapshot = snapshot;
        return snapshot;
    }

    /// <summary>
    /// How many index rows a folder scope or a user's granted folders held when last counted (within the minute), so
    /// that choosing a plan does not count them on every search. Only the plan depends on it, never what is found.
    /// </summary>
    internal async Task<int> ScopeRowsAsync(string scope, Func<Task<int>> count)
    {
        if (_scopes.TryGetValue(scope, out var known) && time.GetUtcNow() - known.ReadAt < MaxAge)
        {
            return known.Rows;
        }

        var rows = await count();
        if (_scopes.Count >= MaxScopes)
        {
            _scopes.Clear();
        }

        _scopes[scope] = (rows, time.GetUtcNow());
        return rows;
    }

    /// <summary>Forgets the snapshot, so the next search reads the statistics again (after an index drain analysed).</summary>
    public void Invalidate() => _snapshot = null;
}
