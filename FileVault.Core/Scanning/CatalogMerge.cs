using System.Threading.Channels;
using Microsoft.AspNetCore.StaticFiles;
using Npgsql;
using NpgsqlTypes;
using FileVault.Core.Catalog;

namespace FileVault.Core.Scanning;

/// <summary>What one merge changed.</summary>
internal sealed record MergeOutcome(
    long Seen, long Added, long Updated, long Renamed, long Missing, long HeldMissing, IReadOnlyList<(string Step, double Seconds)> Steps);

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
            SET temp_buffers = '512MB';
            DROP TABLE IF EXISTS scan_staging, scan_listed, scan_unknown, scan_rows, scan_gone;
            CREATE TEMP TABLE scan_staging (
                local_id bigint NOT NULL,
                parent_local_id bigint,
                relative_path text COLLATE "C" NOT NULL,
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
            "COPY scan_staging (local_id, parent_local_id, relative_path, name, name_key, kind, size, modified_at, device, inode, name_is_valid, link_target, extension, mime_type) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        // Rows are written synchronously in batches: 14 awaited writes per row cost more than the walk itself.
        // The importer only blocks when its buffer goes to the socket.
        while (await entries.WaitToReadAsync(cancellationToken))
        {
            while (entries.TryRead(out var entry))
            {
                WriteRow(importer, entry);
            }
        }

        return (long)await importer.CompleteAsync(cancellationToken);
    }

    private static void WriteRow(NpgsqlBinaryImporter importer, ScannedEntry entry)
    {
        var extension = entry.Kind == EntryKind.File ? EntryName.Extension(entry.Name) : null;
        importer.StartRow();
        importer.Write(entry.LocalId, NpgsqlDbType.Bigint);
        WriteNullable(importer, entry.ParentLocalId);
        importer.Write(entry.RelativePath, NpgsqlDbType.Text);
        importer.Write(entry.Name, NpgsqlDbType.Text);
        importer.Write(EntryName.Key(entry.Name), NpgsqlDbType.Text);
        importer.Write((short)entry.Kind, NpgsqlDbType.Smallint);
        importer.Write(entry.Size, NpgsqlDbType.Bigint);
        importer.Write(new DateTime(entry.ModifiedTicks, DateTimeKind.Utc), NpgsqlDbType.TimestampTz);
        importer.Write(unchecked((long)entry.Device), NpgsqlDbType.Bigint);
        importer.Write(unchecked((long)entry.Inode), NpgsqlDbType.Bigint);
        importer.Write(entry.NameIsValid, NpgsqlDbType.Boolean);
        WriteNullable(importer, entry.LinkTarget);
        WriteNullable(importer, extension);
        WriteNullable(importer, extension is not null && MimeTypes.Mappings.TryGetValue("." + extension, out var mime) ? mime : null);
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void WriteNullable(NpgsqlBinaryImporter importer, long? value)
    {
        if (value is { } number)
        {
            importer.Write(number, NpgsqlDbType.Bigint);
        }
        else
        {
            importer.WriteNull();
        }
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
        NpgsqlConnection connection, int rootId, long scanId, ScanKind kind, long staged, double maxMissingFraction, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var steps = new List<(string, double)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Step(string name)
        {
            steps.Add((name, clock.Elapsed.TotalSeconds));
            clock.Restart();
        }

        // Room for the joins and sorts of a million-row merge without spilling to disk, and index lookups costed for
        // SSDs so that a small incremental staging set is matched by index rather than by hashing the whole catalog.
        // This transaction only.
        await ExecuteAsync(connection, "SET LOCAL work_mem = '256MB'; SET LOCAL random_page_cost = 1.1; SET LOCAL synchronous_commit = off", cancellationToken);

        // 1. Each seen entry beside its catalog row at the same path (any state: a returning file gets its row back),
        //    with whether anything the catalog keeps about it changed.
        await ExecuteAsync(connection, """
            ANALYZE scan_staging;
            CREATE TEMP TABLE scan_rows AS
            SELECT s.*, e.id AS existing_id, e.kind AS old_kind,
                   (e.id IS NOT NULL AND (e.state <> 0 OR e.kind <> s.kind OR e.size <> s.size OR e.modified_at <> s.modified_at
                       OR e.device <> s.device OR e.inode <> s.inode OR e.name <> s.name OR e.name_is_valid <> s.name_is_valid
                       OR e.link_target IS DISTINCT FROM s.link_target)) AS changed,
                   false AS renamed,
                   COALESCE(e.id, nextval(pg_get_serial_sequence('entries', 'id'))) AS id
            FROM scan_staging s
            LEFT JOIN entries e ON e.root_id = @root AND e.relative_path = s.relative_path;
            ANALYZE scan_rows;
            """, cancellationToken, ("root", rootId));
        Step("match");

        // 2. Active entries in the walk's scope that it did not see. A full walk's scope is the whole root; an
        //    incremental one's is the listed folders. Descendants of gone folders, and of folders that became files,
        //    are gone too. Nothing under an unreadable folder is ever gone (R-SCAN-3).
        var scope = kind == ScanKind.Full
            ? """
              SELECT e.id FROM entries e
              WHERE e.root_id = @root AND e.state = 0 AND e.relative_path <> ''
                AND NOT EXISTS (SELECT 1 FROM scan_rows r WHERE r.existing_id = e.id)
              """
            : """
              WITH direct AS (
                  SELECT c.id, c.relative_path, c.kind
                  FROM scan_listed l
                  JOIN entries p ON p.root_id = @root AND p.relative_path = l.path
                  JOIN entries c ON c.parent_id = p.id
                  WHERE c.state = 0 AND NOT EXISTS (SELECT 1 FROM scan_rows r WHERE r.existing_id = c.id)),
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
            FROM ({scope}) candidates
            JOIN entries e ON e.id = candidates.id
            WHERE NOT EXISTS (
                  SELECT 1 FROM scan_unknown u
                  WHERE e.relative_path > u.path || '/' AND e.relative_path < u.path || '0');
            ANALYZE scan_gone;
            """, cancellationToken, ("root", rootId));
        Step("gone");

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
        Step("renames");

        // 4. New rows. Parents are always among the seen rows: the walk reports every folder it passes.
        var added = await ExecuteAsync(connection, """
            INSERT INTO entries (id, root_id, parent_id, name, name_key, relative_path, kind, size, modified_at, extension,
                                 mime_type, state, changed_by_scan_id, device, inode, name_is_valid, link_target)
            SELECT r.id, @root, p.id, r.name, r.name_key, r.relative_path, r.kind, r.size, r.modified_at, r.extension,
                   r.mime_type, 0, @scan, r.device, r.inode, r.name_is_valid, r.link_target
            FROM scan_rows r LEFT JOIN scan_rows p ON p.local_id = r.parent_local_id
            WHERE r.existing_id IS NULL
            """, cancellationToken, ("root", rootId), ("scan", scanId));
        Step("insert");

        // Grants follow folders renamed on the server as they follow FileVault's own renames: a deny must not stay
        // behind on the old path. Each renamed folder carries its own (its subfolders are renamed rows of their own);
        // one already granted at the new path keeps that grant. Skipped when nothing was renamed (every first scan).
        if (renamed > 0)
        {
            await ExecuteAsync(connection, """
            UPDATE folder_grants g SET relative_path = r.relative_path
            FROM scan_rows r JOIN entries e ON e.id = r.existing_id
            WHERE r.renamed AND r.kind = 0 AND g.root_id = @root AND g.relative_path = e.relative_path
              AND NOT EXISTS (
                  SELECT 1 FROM folder_grants t
                  WHERE t.root_id = g.root_id AND t.relative_path = r.relative_path AND t.effect = g.effect
                    AND t.user_id IS NOT DISTINCT FROM g.user_id AND t.group_id IS NOT DISTINCT FROM g.group_id)
            """, cancellationToken, ("root", rootId));
        }

        // 5. Changed, renamed and returning rows. Only a rename can change a row's parent: same path, same parent row.
        var updated = await ExecuteAsync(connection, """
            WITH changes AS (
                SELECT r.*, p.id AS parent_id
                FROM scan_rows r LEFT JOIN scan_rows p ON p.local_id = r.parent_local_id
                WHERE r.changed OR r.renamed)
            UPDATE entries e
            SET parent_id = CASE WHEN c.renamed THEN c.parent_id ELSE e.parent_id END,
                name = c.name, name_key = c.name_key, relative_path = c.relative_path, kind = c.kind,
                size = c.size, modified_at = c.modified_at, extension = c.extension, mime_type = c.mime_type,
                device = c.device, inode = c.inode, name_is_valid = c.name_is_valid, link_target = c.link_target,
                state = 0, missing_since = NULL, changed_by_scan_id = @scan
            FROM changes c
            WHERE e.id = c.existing_id
            """, cancellationToken, ("scan", scanId));
        Step("update");

        // 6. Gone entries become missing, unless there are suspiciously many (R-SCAN-2).
        var gone = await ScalarAsync(connection, "SELECT count(*) FROM scan_gone", cancellationToken);
        var active = gone == 0 ? 0 : await ScalarAsync(connection,
            "SELECT count(*) FROM entries WHERE root_id = @root AND state = 0 AND relative_path <> ''", cancellationToken, ("root", rootId));
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

        Step("missing");
        await transaction.CommitAsync(cancellationToken);
        Step("commit");
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS scan_staging, scan_listed, scan_unknown, scan_rows, scan_gone", CancellationToken.None);

        // After a bulk change (a first scan, a big move), refresh the planner's statistics and the visibility map now,
        // while the scan owns the time, instead of leaving the next scan to set hint bits on every fresh page and to
        // plan its joins on stale row counts.
        if (added + updated + missing > Math.Max(10_000, staged / 10))
        {
            await ExecuteAsync(connection, "VACUUM (ANALYZE) entries", cancellationToken);
            Step("vacuum");
        }

        return new MergeOutcome(staged, added, updated - renamed, renamed, missing, held, steps);
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
