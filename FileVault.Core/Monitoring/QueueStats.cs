using FileVault.Core.Access;
using Npgsql;

namespace FileVault.Core.Monitoring;

/// <summary>One kind of job: how many wait, run, are interrupted, and how many ended well or failed in the last 24 hours.</summary>
public sealed record QueueSummary(string Type, string Queue, int Queued, int Running, int Interrupted, int Succeeded24h, int Failed24h);

/// <summary>The job runner's queues at a glance, from the jobs table. Admins only.</summary>
public sealed class QueueStats(NpgsqlDataSource data, TimeProvider time)
{
    public async Task<Result<IReadOnlyList<QueueSummary>>> SummaryAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the queues.");
        }

        // Status numbers as JobStatus has them: 0 queued, 1 running, 2 succeeded, 3 failed, 5 interrupted.
        await using var command = data.CreateCommand("""
            SELECT type, queue,
                   count(*) FILTER (WHERE status = 0)::int, count(*) FILTER (WHERE status = 1)::int, count(*) FILTER (WHERE status = 5)::int,
                   count(*) FILTER (WHERE status = 2 AND finished_at >= $1)::int, count(*) FILTER (WHERE status = 3 AND finished_at >= $1)::int
            FROM jobs
            WHERE status IN (0, 1, 5) OR finished_at >= $1
            GROUP BY type, queue
            ORDER BY type, queue
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow().AddHours(-24) });
        var list = new List<QueueSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new QueueSummary(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6)));
        }

        return list;
    }
}
