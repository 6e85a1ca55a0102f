using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace FileVault.Core.Uploads;

/// <summary>
/// One request at a time per upload, on any instance (R-UP-5): a PostgreSQL session-level advisory lock held on the
/// request's own connection for as long as it writes. The lock lives exactly as long as that session, so it dies with
/// its holder: a process killed mid-PATCH closes its socket, PostgreSQL ends the session and releases the lock, and the
/// client's resume (against the restarted process or another instance) gets the upload at once, never 423 for the rest
/// of a lease nobody renews any more. A holder whose whole machine vanished is noticed by the session's TCP keepalive,
/// set short on this connection. The offset is recorded on the same connection (<see cref="RecordAsync"/>): a session
/// that was cut off cannot record anything, so a request that lost its lock never moves the offset.
/// </summary>
internal sealed class UploadLease : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;

    private UploadLease(NpgsqlConnection connection, long key)
    {
        _connection = connection;
        _key = key;
    }

    /// <summary>The lease, or null while another request (in any process) holds it.</summary>
    public static async Task<UploadLease?> TryAcquireAsync(NpgsqlDataSource source, string uploadId, CancellationToken cancellationToken)
    {
        var key = KeyOf(uploadId);
        var connection = await source.OpenConnectionAsync(cancellationToken);
        try
        {
            // Keepalives a minute at most: a holder whose machine is gone (no FIN, no RST) is dropped, and its lock with it,
            // within about 25 s instead of the kernel's default two hours. Ignored on a Unix socket, where it cannot happen.
            await using var command = new NpgsqlCommand("""
                SELECT set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false),
                       set_config('tcp_keepalives_count', '3', false), pg_try_advisory_lock(@key)
                """, connection);
            command.Parameters.AddWithValue("key", key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.GetBoolean(3))
            {
                return new UploadLease(connection, key);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// Records the offset reached (and the new expiry and declared hash) if it is still <paramref name="from"/>, on the
    /// lock's own session; false when the row moved on or is gone. A broken session throws instead: it held the lock.
    /// </summary>
    /// <remarks>
    /// Committed without waiting for PostgreSQL's WAL flush (synchronous_commit off, for this transaction only): the
    /// bytes are already fsynced, and an offset lost in a crash only makes the resume send again bytes the server had
    /// (recovery cuts the file back to the smaller offset, R-UP-6), never count bytes it lacks. A later durable commit
    /// (the completion's) flushes it anyway. One WAL flush less per chunk.
    /// </remarks>
    public async Task<bool> RecordAsync(string uploadId, long from, long offset, DateTimeOffset expiresAt, byte[]? sha256)
    {
        await using var transaction = await _connection.BeginTransactionAsync(CancellationToken.None);
        await using (var relaxed = new NpgsqlCommand("SET LOCAL synchronous_commit = off", _connection, transaction))
        {
            await relaxed.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await using var command = new NpgsqlCommand("""
            UPDATE uploads SET "offset" = @offset, expires_at = @expires, expected_sha256 = @sha256
            WHERE id = @id AND "offset" = @from
            """, _connection, transaction);
        command.Parameters.AddWithValue("offset", offset);
        command.Parameters.AddWithValue("expires", expiresAt);
        command.Parameters.Add(new NpgsqlParameter("sha256", NpgsqlTypes.NpgsqlDbType.Bytea) { Value = (object?)sha256 ?? DBNull.Value });
        command.Parameters.AddWithValue("id", uploadId);
        command.Parameters.AddWithValue("from", from);
        // Not cut short by the client leaving: the bytes are fsynced, and an unrecorded offset would only be found again by HEAD.
        var recorded = await command.ExecuteNonQueryAsync(CancellationToken.None) == 1;
        await transaction.CommitAsync(CancellationToken.None);
        return recorded;
    }

    /// <summary>
    /// The 64-bit lock key: the single-key advisory lock space, which does not overlap the two-key one the per-user limit
    /// and the scanner use. Derived by hash, so any id (they are random) spreads over the whole space.
    /// </summary>
    private static long KeyOf(string uploadId) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("upload:" + uploadId)));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
            command.Parameters.AddWithValue("key", _key);
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // A broken session released the lock when it ended. A live one that could not unlock must never go back to
            // the pool still holding it: the pool's connections are closed instead of reused.
            NpgsqlConnection.ClearPool(_connection);
        }

        await _connection.DisposeAsync();
    }
}
