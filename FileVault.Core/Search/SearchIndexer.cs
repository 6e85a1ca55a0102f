using System.Diagnostics;
using FileVault.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace FileVault.Core.Search;

/// <summary>What one drain of the search outbox did.</summary>
public sealed record SearchIndexDrain(int Changed, int Indexed, double Seconds);

/// <summary>
/// Brings <c>entry_search</c> in line with <c>entries</c>: takes the entries queued in <c>search_outbox</c> (by the
/// catalog's triggers, in the transaction that changed them), and rewrites their index rows from the catalog as it is
/// now, in one transaction per batch. A crash rolls the batch back and leaves it queued. Until its batch commits, a
/// queued entry is searched in the catalog itself (<see cref="PostgresSearch"/>), so search never misses or shows a
/// stale entry; the index only makes it fast.
/// </summary>
/// <remarks>
/// One instance drains at a time (a transaction-scoped advisory lock; the others skip their turn). An entry queued
/// again while its batch runs is indexed again by the next batch, from the row as it is then.
/// </remarks>
public sealed class SearchIndexer(NpgsqlDataSource dataSource, SearchStatistics statistics, ILogger<SearchIndexer> logger)
{
    public const int DefaultBatchSize = 20_000;

    /// <summary>Queued entries from which the index is built anew instead of row by row (a first scan of a large share).</summary>
    public int RebuildThreshold { get; internal set; } = 100_000;

    /// <summary>
    /// Entries queued for the index and not yet in it (what a search reads from the catalog itself), counted up to
    /// <paramref name="cap"/>: the worker asks every second, and a million-row queue after a first scan is not
    /// counted whole each time.
    /// </summary>
    public async Task<long> PendingAsync(long cap, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM (SELECT 1 FROM search_outbox LIMIT @cap) queued");
        command.Parameters.AddWithValue("cap", cap);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Indexes queued entries, a batch per transaction, until none are left.</summary>
    public async Task<SearchIndexDrain> DrainAsync(int batchSize = DefaultBatchSize, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        int changed = 0, indexed = 0;
        if (await PendingAsync(RebuildThreshold, cancellationToken) >= RebuildThreshold)
        {
            (changed, indexed) = await RebuildAsync(cancellationToken);
        }

        var rebuilt = changed;

        while (true)
        {
            var (batchChanged, batchIndexed) = await DrainBatchAsync(batchSize, cancellationToken);
            changed += batchChanged;
            indexed += batchIndexed;
            if (batchChanged == 0)
            {
                break;
            }
        }

        // Rows written batch by batch (a rebuild's index is built whole, with no pending list).
        if (changed > rebuilt)
        {
            await CleanPendingListAsync(cancellationToken);
        }

        // A rebuilt table was analysed before the swap; a vacuum marks its pages all-visible, without which every
        // index-only read (the walks, the scope plan) visits the table too. A bulk change drained in batches (more than
        // 50,000) changes the numbers searches plan on, which also pick their tokens.
        var maintenance = rebuilt > 0 ? "VACUUM entry_search" : changed > 50_000 ? "ANALYZE entry_search" : null;
        if (maintenance is not null)
        {
            await using var command = dataSource.CreateCommand(maintenance);
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync(cancellationToken);
            statistics.Invalidate();
        }

        if (changed > 0)
        {
            logger.LogDebug("Search index: {Changed} entries changed, {Indexed} indexed in {Seconds:F2} s", changed, indexed, clock.Elapsed.TotalSeconds);
        }

        return new SearchIndexDrain(changed, indexed, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Moves the rows a drain inserted from the GIN index's pending list into the index proper. With <c>fastupdate</c>
    /// (which keeps a batch's COPY fast) new rows wait in an unsorted list of up to <c>gin_pending_list_limit</c>
    /// (16 MB) that every search reads whole, and neither a drain's inserts nor its deletes are enough for autovacuum to
    /// clean it: on the 1M bench catalog, after 20,793 entries were indexed again (1,109 pending pages) the statement of
    /// 보고서 + pdf took 17.9 ms of CPU instead of 13.2, until cleaned (148 ms here).
    /// </summary>
    private async Task CleanPendingListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT gin_clean_pending_list('ix_entry_search_tokens'::regclass)");
        command.CommandTimeout = 0;
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // Only the index's owner may clean it; autovacuum still does, later. Searches stay correct meanwhile.
            logger.LogWarning("Search index: the GIN pending list was not cleaned ({Message})", e.MessageText);
        }
    }

    private async Task<(int Changed, int Indexed)> DrainBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var settings = new NpgsqlCommand("SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '64MB'", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }

        // One drain at a time across instances: two batches holding the same entry would both insert its row.
        await using (var gate = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(7421, 1)", connection, transaction))
        {
            if (!(bool)(await gate.ExecuteScalarAsync(cancellationToken))!)
            {
                return (0, 0);
            }
        }

        long[] ids;
        await using (var take = new NpgsqlCommand("""
            WITH taken AS (
                DELETE FROM search_outbox
                WHERE id IN (SELECT id FROM search_outbox ORDER BY id LIMIT @batch FOR UPDATE)
                RETURNING entry_id)
            SELECT DISTINCT entry_id FROM taken
            """, connection, transaction))
        {
            take.Parameters.AddWithValue("batch", batchSize);
            var list = new List<long>();
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(reader.GetInt64(0));
            }

            ids = [.. list];
        }

        if (ids.Length == 0)
        {
            return (0, 0);
        }

        await using (var remove = new NpgsqlCommand("DELETE FROM entry_search WHERE entry_id = ANY(@ids)", connection, transaction))
        {
            remove.Parameters.AddWithValue("ids", ids);
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }

        var rows = new List<IndexRow>(ids.Length);
        await using (var read = new NpgsqlCommand("""
            SELECT id, root_id, relative_path, name_key, kind, extension, size, modified_at
            FROM entries WHERE id = ANY(@ids) AND state = 0 AND parent_id IS NOT NULL
            """, connection, transaction))
        {
            read.Parameters.AddWithValue("ids", ids);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new IndexRow(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt16(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt64(6), reader.GetFieldValue<DateTime>(7)));
            }
        }

        if (rows.Count > 0)
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY entry_search (entry_id, root_id, relative_path, name_key, kind, extension, size, modified_at, tokens) FROM STDIN (FORMAT BINARY)",
                cancellationToken);
            foreach (var row in rows)
            {
                WriteRow(importer, row);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (ids.Length, rows.Count);
    }

    /// <summary>
    /// Builds the index anew beside the old one and swaps them: binary COPY into a table without indexes, the indexes
    /// built once afterwards (a GIN index built in bulk costs a fraction of a million row-by-row inserts), then, in the
    /// same transaction, the old table dropped and the new one renamed. The catalog is read in the snapshot of that
    /// transaction, and the outbox rows visible to it are taken: whatever changes after the snapshot stays queued for
    /// the next drain. Searches read the old index until the swap commits.
    /// </summary>
    private async Task<(int Changed, int Indexed)> RebuildAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using (var gate = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(7421, 1)", connection, transaction))
        {
            if (!(bool)(await gate.ExecuteScalarAsync(cancellationToken))!)
            {
                return (0, 0);
            }
        }

        await ExecuteAsync(connection, transaction, "SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL synchronous_commit = off", cancellationToken);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
        }

        var changed = await ExecuteAsync(connection, transaction, "DELETE FROM search_outbox", cancellationToken);
        await ExecuteAsync(connection, transaction, """
            DROP TABLE IF EXISTS entry_search_next;
            CREATE TABLE entry_search_next (LIKE entry_search INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
            """, cancellationToken);

        var indexed = 0;
        await using (var source = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var sourceTransaction = await source.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken))
        {
            await ExecuteAsync(source, sourceTransaction, $"SET TRANSACTION SNAPSHOT '{snapshot}'", cancellationToken);
            await using var read = new NpgsqlCommand("""
                SELECT id, root_id, relative_path, name_key, kind, extension, size, modified_at
                FROM entries WHERE state = 0 AND parent_id IS NOT NULL
                """, source, sourceTransaction) { CommandTimeout = 0 };
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY entry_search_next (entry_id, root_id, relative_path, name_key, kind, extension, size, modified_at, tokens) FROM STDIN (FORMAT BINARY)",
                cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                WriteRow(importer, new IndexRow(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt16(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt64(6), reader.GetFieldValue<DateTime>(7)));
                indexed++;
            }

            await importer.CompleteAsync(cancellationToken);
        }

        // The old table's indexes, as the migration made them, re-made on the new one under the same names.
        var definitions = new List<(string Name, string Definition)>();
        // Read before the drop; the names are free again once the old table is gone.
        await using (var list = new NpgsqlCommand(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'entry_search' AND indexname <> 'entry_search_pkey'", connection, transaction))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                definitions.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // Analysed before the swap, so searches never plan on a table without statistics (they would take every word
        // for a rare one); the statistics stay with the table through the rename.
        await ExecuteAsync(connection, transaction, "ALTER TABLE entry_search_next ALTER COLUMN tokens SET STATISTICS 1000; ANALYZE entry_search_next", cancellationToken);
        var swap = new System.Text.StringBuilder();
        swap.AppendLine("DROP TABLE entry_search;");
        swap.AppendLine("ALTER TABLE entry_search_next RENAME TO entry_search;");
        swap.AppendLine("ALTER TABLE entry_search ADD CONSTRAINT entry_search_pkey PRIMARY KEY (entry_id);");
        foreach (var (_, definition) in definitions)
        {
            // "CREATE [UNIQUE] INDEX name ON schema.entry_search USING ..." : the table is renamed by now.
            swap.Append(definition).AppendLine(";");
        }

        await ExecuteAsync(connection, transaction, swap.ToString(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ((int)changed, indexed);
    }

    private static async Task<long> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void WriteRow(NpgsqlBinaryImporter importer, IndexRow row)
    {
        importer.StartRow();
        importer.Write(row.Id, NpgsqlDbType.Bigint);
        importer.Write(row.RootId, NpgsqlDbType.Integer);
        importer.Write(row.RelativePath, NpgsqlDbType.Text);
        importer.Write(row.NameKey, NpgsqlDbType.Text);
        importer.Write(row.Kind, NpgsqlDbType.Smallint);
        if (row.Extension is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(row.Extension, NpgsqlDbType.Text);
        }

        importer.Write(row.Size, NpgsqlDbType.Bigint);
        importer.Write(row.ModifiedAt, NpgsqlDbType.TimestampTz);
        importer.Write(SearchTokens.OfEntry(row.RootId, row.RelativePath, row.NameKey, row.Extension, row.Kind == 0), NpgsqlDbType.Array | NpgsqlDbType.Integer);
    }

    private sealed record IndexRow(long Id, int RootId, string RelativePath, string NameKey, short Kind, string? Extension, long Size, DateTime ModifiedAt);
}

public sealed class SearchOptions
{
    public const string Section = "FileVault:Search";

    /// <summary>How often each instance looks for catalog changes to index; 0 turns the background indexing off.</summary>
    public double IndexIntervalSeconds { get; set; } = 1;
}

/// <summary>Drains the search outbox in the background, every <see cref="SearchOptions.IndexIntervalSeconds"/>.</summary>
public sealed class SearchIndexWorker(SearchIndexer indexer, DatabaseState database, IOptions<SearchOptions> options, TimeProvider time,
    ILogger<SearchIndexWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.IndexIntervalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!database.IsReady)
            {
                continue;
            }

            try
            {
                await indexer.DrainAsync(SearchIndexer.DefaultBatchSize, stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                // The next tick tries again; meanwhile search reads the queued entries from the catalog.
                logger.LogWarning("Search index not updated: {Reason}", ex.Message);
            }
        }
    }
}
