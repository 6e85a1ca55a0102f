using System.Threading.Channels;
using Microsoft.AspNetCore.StaticFiles;
using Npgsql;
using NpgsqlTypes;
using FileVault.Core.Catalog;

namespace FileVault.Core.Scanning;

/// <summary>What one merge changed.</summary>
internal sealed record MergeOutcome(long Seen, long Added, long Updated, long Renamed, long Missing, long HeldMissing);

/// <summary>
/// The scanner's writes: rows streamed with binary COPY into session-private temp tables while the walk runs, then one
/// transaction of set-based statements that brings the catalog in line with what the walk saw. A killed scan leaves the
/// catalog as it was; the temp tables die with the connection (R-SCAN-5).
/// </summary>
internal static class CatalogMerge
{
    private static readonly FileExtensionContentTypeProvider MimeTypes = new();

    public static async Task CreateStagingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, """
            DROP TABLE IF EXISTS scan_staging, scan_listed, scan_unknown, scan_rows, scan_gone;
            CREATE TEMP TABLE scan_staging (
                relative_path text COLLATE "C" NOT NULL,
                parent_path text COLLATE "C",
                name text NOT NULL,
                name_key text COLLATE "C" NOT NULL,
                kind smallint NOT NULL,
                size bigint NOT NULL,
                modified_at timestamptz NOT NULL,
                device bigint NOT NULL,
                inode bigint NOT NULL,
                name_is_valid boolean NOT NULL,
                link_target text,
                extension text,
                mime_type text);
            CREATE TEMP TABLE scan_listed (path text COLLATE "C" NOT NULL);
            CREATE TEMP TABLE scan_unknown (path text COLLATE "C" NOT NULL);
            """, cancellationToken);
    }

    /// <summary>Streams the walk's entries into scan_staging until the channel completes.</summary>
    public static async Task<long> CopyAsync(NpgsqlConnection connection, ChannelReader<ScannedEntry> entries, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY scan_staging (relative_path, parent_path, name, name_key, kind, size, modified_at, device, inode, name_is_valid, link_target, extension, mime_type) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        await foreach (var entry in entries.ReadAllAsync(cancellationToken))
        {
            var extension = entry.Kind == EntryKind.File ? EntryName.Extension(entry.Name) : null;
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(entry.RelativePath, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, entry.ParentPath, cancellationToken);
            await importer.WriteAsync(entry.Name, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(EntryName.Key(entry.Name), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync((short)entry.Kind, NpgsqlDbType.Smallint, cancellationToken);
            await importer.WriteAsync(entry.Size, NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(new DateTime(entry.ModifiedTicks, DateTimeKind.Utc), NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(unchecked((long)entry.Device), NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(unchecked((long)entry.Inode), NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(entry.NameIsValid, NpgsqlDbType.Boolean, cancellationToken);
            await WriteNullableAsync(importer, entry.LinkTarget, cancellationToken);
            await WriteNullableAsync(importer, extension, cancellationToken);
            await WriteNullableAsync(importer, extension is not null && MimeTypes.Mappings.TryGetValue("." + extension, out var mime) ? mime : null, cancellationToken);
        }

        return (long)await importer.CompleteAsync(cancellationToken);
    }

    public static async Task CopyPathsAsync(NpgsqlConnection connection, string table, IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} (path) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var path in paths)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(path, NpgsqlDbType.Text, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// Applies the staged walk to the catalog in one transaction. Gone entries are held back instead of marked missing
    /// when they exceed <paramref name="maxMissingFraction"/> of the root's active entries.
    /// </summary>
    public static async Task<MergeOutcome> MergeAsync(
        NpgsqlConnection connection, int rootId, long scanId, ScanKind kind, double maxMissingFraction, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // 1. Each seen entry beside its catalog row at the same path (any state: a returning file gets its row back).
        await ExecuteAsync(connection, """
            ANALYZE scan_staging;
            CREATE TEMP TABLE scan_rows AS
            SELECT s.*, e.id AS existing_id, e.state AS old_state, e.kind AS old_kind, e.size AS old_size,
                   e.modified_at AS old_modified_at, e.device AS old_device, e.inode AS old_inode, e.name AS old_name,
                   e.parent_id AS old_parent_id, e.link_target AS old_link_target, e.name_is_valid AS old_name_is_valid,
                   false AS renamed,
                   COALESCE(e.id, nextval(pg_get_serial_sequence('entries', 'id'))) AS id
            FROM scan_staging s
            LEFT JOIN entries e ON e.root_id = @root AND e.relative_path = s.relative_path;
            CREATE INDEX ON scan_rows (relative_path);
            ANALYZE scan_rows;
            """, cancellationToken, ("root", rootId));

        // 2. Active entries in the walk's scope that it did not see. A full walk's scope is the whole root; an
        //    incremental one's is the listed folders. Descendants of gone folders, and of folders that became files,
        //    are gone too. Nothing under an unreadable folder is ever gone (R-SCAN-3).
        var scope = kind == ScanKind.Full
            ? """
              SELECT e.id FROM entries e
              WHERE e.root_id = @root AND e.state = 0 AND e.relative_path <> ''
                AND NOT EXISTS (SELECT 1 FROM scan_rows r WHERE r.relative_path = e.relative_path)
              """
            : """
              WITH direct AS (
                  SELECT c.id, c.relative_path, c.kind
                  FROM scan_listed l
                  JOIN entries p ON p.root_id = @root AND p.relative_path = l.path
                  JOIN entries c ON c.parent_id = p.id
                  WHERE c.state = 0 AND NOT EXISTS (SELECT 1 FROM scan_rows r WHERE r.relative_path = c.relative_path)),
              roots_of_gone_trees AS (
                  SELECT relative_path FROM direct WHERE kind = 0
                  UNION ALL
                  SELECT relative_path FROM scan_rows WHERE old_kind = 0 AND kind <> 0)
              SELECT id FROM direct
              UNION
              SELECT d.id FROM roots_of_gone_trees t
              JOIN entries d ON d.root_id = @root AND d.state = 0
                   AND d.relative_path > t.relative_path || '/' AND d.relative_path < t.relative_path || '0'
              """;
        await ExecuteAsync(connection, $"""
            CREATE TEMP TABLE scan_gone AS
            SELECT e.id, e.kind, e.size, e.modified_at, e.device, e.inode
            FROM entries e
            WHERE e.id IN ({scope})
              AND NOT EXISTS (
                  SELECT 1 FROM scan_unknown u
                  WHERE e.relative_path > u.path || '/' AND e.relative_path < u.path || '0');
            ANALYZE scan_gone;
            """, cancellationToken, ("root", rootId));

        // 3. Renames made outside FileVault: a new path whose device and inode (and, for files, size and mtime) match
        //    exactly one gone entry takes over that entry's row, keeping its description, uploader and hash.
        var renamed = await ExecuteAsync(connection, """
            WITH pairs AS (
                SELECT r.relative_path, g.id AS gone_id
                FROM scan_rows r
                JOIN scan_gone g ON g.device = r.device AND g.inode = r.inode AND g.kind = r.kind
                     AND (r.kind = 0 OR (g.size = r.size AND g.modified_at = r.modified_at))
                WHERE r.existing_id IS NULL AND r.inode <> 0),
            unique_pairs AS (
                SELECT p.relative_path, p.gone_id FROM pairs p
                WHERE (SELECT count(*) FROM pairs q WHERE q.relative_path = p.relative_path) = 1
                  AND (SELECT count(*) FROM pairs q WHERE q.gone_id = p.gone_id) = 1)
            UPDATE scan_rows r SET existing_id = u.gone_id, id = u.gone_id, renamed = true
            FROM unique_pairs u WHERE r.relative_path = u.relative_path
            """, cancellationToken);
        await ExecuteAsync(connection, "DELETE FROM scan_gone g USING scan_rows r WHERE r.renamed AND r.existing_id = g.id", cancellationToken);

        // 4. New rows. Parents are always among the seen rows: the walk reports every folder it passes.
        var added = await ExecuteAsync(connection, """
            INSERT INTO entries (id, root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension,
                                 mime_type, state, changed_by_scan_id, device, inode, name_is_valid, link_target)
            SELECT r.id, @root, p.id, r.name, r.name_key, r.relative_path, r.kind, r.size, r.modified_at, r.extension,
                   r.mime_type, 0, @scan, r.device, r.inode, r.name_is_valid, r.link_target
            FROM scan_rows r LEFT JOIN scan_rows p ON p.relative_path = r.parent_path
            WHERE r.existing_id IS NULL
            """, cancellationToken, ("root", rootId), ("scan", scanId));

        // 5. Changed, renamed and returning rows.
        var updated = await ExecuteAsync(connection, """
            UPDATE entries e
            SET parent_id = p.id, name = r.name, name_key = r.name_key, relative_path = r.relative_path, kind = r.kind,
                size = r.size, modified_at = r.modified_at, extension = r.extension, mime_type = r.mime_type,
                device = r.device, inode = r.inode, name_is_valid = r.name_is_valid, link_target = r.link_target,
                state = 0, missing_since = NULL, changed_by_scan_id = @scan
            FROM scan_rows r LEFT JOIN scan_rows p ON p.relative_path = r.parent_path
            WHERE e.id = r.existing_id
              AND (r.renamed OR r.old_state <> 0 OR r.old_kind <> r.kind OR r.old_size <> r.size
                   OR r.old_modified_at <> r.modified_at OR r.old_device <> r.device OR r.old_inode <> r.inode
                   OR r.old_name <> r.name OR r.old_name_is_valid <> r.name_is_valid
                   OR r.old_link_target IS DISTINCT FROM r.link_target OR r.old_parent_id IS DISTINCT FROM p.id)
            """, cancellationToken, ("scan", scanId));

        // 6. Gone entries become missing, unless there are suspiciously many (R-SCAN-2).
        var gone = await ScalarAsync(connection, "SELECT count(*) FROM scan_gone", cancellationToken);
        var active = await ScalarAsync(connection, "SELECT count(*) FROM entries WHERE root_id = @root AND state = 0 AND relative_path <> ''",
            cancellationToken, ("root", rootId));
        long missing = 0, held = 0;
        if (gone > 0 && gone > maxMissingFraction * active)
        {
            held = await ExecuteAsync(connection, "INSERT INTO scan_held_missing (scan_run_id, entry_id) SELECT @scan, id FROM scan_gone",
                cancellationToken, ("scan", scanId));
        }
        else if (gone > 0)
        {
            missing = await ExecuteAsync(connection, """
                UPDATE entries e SET state = 2, missing_since = now(), changed_by_scan_id = @scan
                FROM scan_gone g WHERE e.id = g.id
                """, cancellationToken, ("scan", scanId));
        }

        var seen = await ScalarAsync(connection, "SELECT count(*) FROM scan_rows", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS scan_staging, scan_listed, scan_unknown, scan_rows, scan_gone", CancellationToken.None);
        return new MergeOutcome(seen, added, updated - renamed, renamed, missing, held);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await importer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
        }
    }

    private static async Task<long> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
