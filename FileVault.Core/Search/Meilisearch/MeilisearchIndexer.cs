using System.Diagnostics;
using System.Text.Json;
using Coravel.Invocable;
using FileVault.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FileVault.Core.Search.Meilisearch;

/// <summary>What one full reconciliation did.</summary>
public sealed record MeilisearchReconciliation(int Sent, int Deleted, double Seconds);

/// <summary>
/// Keeps the Meilisearch index in step with the catalog. The catalog's triggers queue every changed entry in
/// <c>meili_outbox</c> in the transaction that changed it (once <see cref="EnsureIndexAsync"/> has switched the queue
/// on); <see cref="DrainAsync"/> sends the queued entries as they are now, a batch per transaction, and removes them
/// from the queue only once Meilisearch has finished the task: a failure leaves them queued. <see cref="ReconcileAsync"/>
/// sends every active entry again and deletes the documents of entries gone from the catalog.
/// </summary>
/// <remarks>
/// Every send holds one advisory lock (transaction-scoped) from reading the catalog to the end of its Meilisearch task:
/// Meilisearch applies tasks in the order they arrive, so a batch read earlier can never overwrite one read later.
/// </remarks>
public sealed class MeilisearchIndexer(
    MeilisearchClient client, NpgsqlDataSource dataSource, IOptions<MeilisearchOptions> options, ILogger<MeilisearchIndexer> logger)
{
    private const string Documents = """
        SELECT id, root_id, relative_path, name, name_key, extension, kind, size, modified_at
        FROM entries WHERE state = 0 AND parent_id IS NOT NULL
        """;

    private MeilisearchOptions Settings => options.Value;

    private TimeSpan TaskTimeout => TimeSpan.FromSeconds(Settings.TaskTimeoutSeconds);

    /// <summary>Creates the index and its settings, and switches the catalog's triggers on for <c>meili_outbox</c>.</summary>
    public async Task EnsureIndexAsync(CancellationToken cancellationToken)
    {
        await client.EnsureIndexAsync(Settings.Index, MeilisearchFilter.Settings, TaskTimeout, cancellationToken);
        await using var command = dataSource.CreateCommand("UPDATE meili_sync SET enabled = true WHERE NOT enabled");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Whether a full reconciliation has ever completed (until then, search does not use Meilisearch).</summary>
    public async Task<bool> IsReconciledAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT reconciled_at IS NOT NULL FROM meili_sync");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Changes queued for Meilisearch and not yet sent.</summary>
    public async Task<long> PendingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM meili_outbox");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Sends queued changes, a batch per transaction, until none are left.</summary>
    public async Task<SearchIndexDrain> DrainAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int changed = 0, sent = 0;
        while (true)
        {
            var (batchChanged, batchSent) = await DrainBatchAsync(cancellationToken);
            changed += batchChanged;
            sent += batchSent;
            if (batchChanged == 0)
            {
                break;
            }
        }

        if (changed > 0)
        {
            logger.LogDebug("Meilisearch: {Changed} entries changed, {Sent} sent in {Seconds:F2} s", changed, sent, clock.Elapsed.TotalSeconds);
        }

        return new SearchIndexDrain(changed, sent, clock.Elapsed.TotalSeconds);
    }

    private async Task<(int Changed, int Sent)> DrainBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await LockAsync(connection, wait: false, cancellationToken))
        {
            return (0, 0);
        }

        var queued = new List<long>();
        var entryIds = new HashSet<long>();
        await using (var take = new NpgsqlCommand("SELECT id, entry_id FROM meili_outbox ORDER BY id LIMIT @batch", connection))
        {
            take.Parameters.AddWithValue("batch", Settings.BatchSize);
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                queued.Add(reader.GetInt64(0));
                entryIds.Add(reader.GetInt64(1));
            }
        }

        if (queued.Count == 0)
        {
            return (0, 0);
        }

        var documents = await ReadDocumentsAsync(connection, $"{Documents} AND id = ANY(@ids)", [.. entryIds], cancellationToken);
        var gone = entryIds.Except(documents.Select(d => d.Id)).ToList();
        await SendAsync(documents, gone, cancellationToken);

        await using (var remove = new NpgsqlCommand("DELETE FROM meili_outbox WHERE id = ANY(@ids)", connection))
        {
            remove.Parameters.AddWithValue("ids", queued.ToArray());
            await remove.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (entryIds.Count, documents.Count);
    }

    /// <summary>
    /// Sends every active entry again, in batches, then deletes the documents whose entries are no longer active, and
    /// records the time it started: search uses Meilisearch only once one reconciliation has completed.
    /// </summary>
    public async Task<MeilisearchReconciliation> ReconcileAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await EnsureIndexAsync(cancellationToken);
        DateTime started;
        await using (var now = dataSource.CreateCommand("SELECT now()"))
        {
            started = (DateTime)(await now.ExecuteScalarAsync(cancellationToken))!;
        }

        var sent = 0;
        var after = 0L;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(connection, wait: true, cancellationToken);
            var batch = await ReadDocumentsAsync(connection, $"{Documents} AND id > @after ORDER BY id LIMIT @batch", null, cancellationToken, after, Settings.BatchSize);
            if (batch.Count == 0)
            {
                break;
            }

            await SendAsync(batch, [], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            sent += batch.Count;
            after = batch[^1].Id;
        }

        // Which documents are gone: read every id Meilisearch holds first (deleting while paging would shift the pages).
        var indexed = new List<long>();
        for (var offset = 0; ; offset += Settings.BatchSize)
        {
            var page = await client.DocumentIdsAsync(Settings.Index, offset, Settings.BatchSize, cancellationToken);
            indexed.AddRange(page.Results.Select(r => r.Id));
            if (page.Results.Count < Settings.BatchSize)
            {
                break;
            }
        }

        var deleted = 0;
        foreach (var chunk in indexed.Chunk(Settings.BatchSize))
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(connection, wait: true, cancellationToken);
            var active = (await ReadDocumentsAsync(connection, $"{Documents} AND id = ANY(@ids)", chunk, cancellationToken)).Select(d => d.Id).ToHashSet();
            var gone = chunk.Where(id => !active.Contains(id)).ToList();
            await SendAsync([], gone, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            deleted += gone.Count;
        }

        await using (var done = dataSource.CreateCommand("UPDATE meili_sync SET reconciled_at = @started"))
        {
            done.Parameters.AddWithValue("started", started);
            await done.ExecuteNonQueryAsync(cancellationToken);
        }

        logger.LogInformation("Meilisearch reconciled: {Sent} documents sent, {Deleted} deleted in {Seconds:F1} s", sent, deleted, clock.Elapsed.TotalSeconds);
        return new MeilisearchReconciliation(sent, deleted, clock.Elapsed.TotalSeconds);
    }

    private async Task SendAsync(IReadOnlyList<MeilisearchDocument> documents, IReadOnlyList<long> gone, CancellationToken cancellationToken)
    {
        foreach (var chunk in documents.Chunk(Settings.BatchSize))
        {
            var task = await client.ReplaceDocumentsAsync(Settings.Index, chunk, cancellationToken);
            await client.SucceededAsync(task.TaskUid, TaskTimeout, cancellationToken);
        }

        foreach (var chunk in gone.Chunk(Settings.BatchSize))
        {
            var task = await client.DeleteDocumentsAsync(Settings.Index, chunk, cancellationToken);
            await client.SucceededAsync(task.TaskUid, TaskTimeout, cancellationToken);
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(wait ? "SELECT true FROM (SELECT pg_advisory_xact_lock(7421, 2)) l" : "SELECT pg_try_advisory_xact_lock(7421, 2)", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<List<MeilisearchDocument>> ReadDocumentsAsync(
        NpgsqlConnection connection, string sql, long[]? ids, CancellationToken cancellationToken, long after = 0, int batch = 0)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (ids is not null)
        {
            command.Parameters.AddWithValue("ids", ids);
        }
        else
        {
            command.Parameters.AddWithValue("after", after);
            command.Parameters.AddWithValue("batch", batch);
        }

        var documents = new List<MeilisearchDocument>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var rootId = reader.GetInt32(1);
            var path = reader.GetString(2);
            var nameKey = reader.GetString(4);
            documents.Add(new MeilisearchDocument(
                reader.GetInt64(0), rootId, path, reader.GetString(3), nameKey, Hangul.Initialize(nameKey),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt16(6), reader.GetInt64(7),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(8), TimeSpan.Zero).ToUnixTimeSeconds(), MeilisearchFilter.PrefixesOf(rootId, path)));
        }

        return documents;
    }
}

/// <summary>
/// Sends queued changes to Meilisearch every <see cref="MeilisearchOptions.IndexIntervalSeconds"/>; first makes sure the
/// index exists and, if no reconciliation has ever completed, runs one (a new index starts empty).
/// </summary>
public sealed class MeilisearchIndexWorker(IServiceScopeFactory scopes, DatabaseState database, IOptions<MeilisearchOptions> options, TimeProvider time,
    ILogger<MeilisearchIndexWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.IndexIntervalSeconds;
        if (seconds <= 0)
        {
            return;
        }

        var ready = false;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!database.IsReady)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var indexer = scope.ServiceProvider.GetRequiredService<MeilisearchIndexer>();
                if (!ready)
                {
                    await indexer.EnsureIndexAsync(stoppingToken);
                    if (!await indexer.IsReconciledAsync(stoppingToken))
                    {
                        await indexer.ReconcileAsync(stoppingToken);
                    }

                    ready = true;
                }

                await indexer.DrainAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or HttpRequestException or MeilisearchException or JsonException
                || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // The changes stay queued; search answers from PostgreSQL while they wait (MaxLagSeconds).
                logger.LogWarning("Meilisearch not updated: {Reason}", ex.Message);
            }
        }
    }
}

/// <summary>The hourly full reconciliation ("search index update: hourly").</summary>
public sealed class MeilisearchReconcileSchedule(MeilisearchIndexer indexer) : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => indexer.ReconcileAsync(CancellationToken);
}
