using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Catalog;
using FileVault.Core.Search;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace FileVault.Core.Monitoring;

/// <summary>Files and bytes of one file type (<see cref="FileType"/>'s name, or "Other").</summary>
public sealed record TypeBytes(string Type, long Files, long Bytes);

/// <summary>Files and bytes of one extension ("" for names without one).</summary>
public sealed record ExtensionBytes(string Extension, long Files, long Bytes);

/// <summary>A folder with everything below it.</summary>
public sealed record FolderBytes(long EntryId, string Path, long Files, long Bytes);

/// <summary>What one user uploaded through FileVault and is still in the root. Email is filled in when read.</summary>
public sealed record UploaderBytes(Guid UserId, string? Email, long Files, long Bytes);

/// <summary>The breakdowns of one statistics row (stored as jsonb).</summary>
public sealed record StorageBreakdown(
    IReadOnlyList<TypeBytes> Types,
    IReadOnlyList<ExtensionBytes> Extensions,
    ExtensionBytes? OtherExtensions,
    IReadOnlyList<FolderBytes> LargestFolders,
    IReadOnlyList<UploaderBytes> Uploaders);

public sealed record StorageGrowthPoint(DateTimeOffset At, long Files, long Bytes);

/// <summary>A root's statistics as of its last completed scan, and its totals at each scan since <c>since</c>.</summary>
public sealed record RootStorageStatistics(
    int RootId, DateTimeOffset ComputedAt, long? ScanRunId, long Files, long Folders, long Bytes, StorageBreakdown Breakdown,
    IReadOnlyList<StorageGrowthPoint> Growth);

/// <summary>
/// Where a root's disk went: bytes and files by type and extension, the largest folders, the top uploaders, and the
/// totals over time. Computed once per completed scan (one pass over the root's active entries, grouped in SQL, plus its
/// folders rolled up in memory) into <c>storage_statistics</c>, so the admin page reads one row however large the root.
/// Reading and recomputing are for admins only.
/// </summary>
public sealed class StorageStatistics(NpgsqlDataSource data, TimeProvider time, ILogger<StorageStatistics> logger) : IContentListener
{
    public const int TopExtensions = 30;
    public const int TopFolders = 20;
    public const int TopUploaders = 20;
    public const int MaxGrowthPoints = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal static Error Forbidden { get; } = new("auth.forbidden", "Only administrators see storage statistics.");

    /// <summary>The root's latest statistics with its growth since <paramref name="since"/>; null when none was computed yet.</summary>
    public async Task<Result<RootStorageStatistics?>> ForRootAsync(AccessSubject actor, int rootId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return Forbidden;
        }

        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        long? scanRunId;
        DateTimeOffset computedAt;
        long files, folders, bytes;
        StorageBreakdown breakdown;
        await using (var latest = new NpgsqlCommand(
            "SELECT computed_at, scan_run_id, files, folders, bytes, details FROM storage_statistics WHERE root_id = $1 ORDER BY computed_at DESC, id DESC LIMIT 1",
            connection))
        {
            latest.Parameters.Add(new NpgsqlParameter { Value = rootId });
            await using var reader = await latest.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return Result<RootStorageStatistics?>.Success(null);
            }

            computedAt = reader.GetFieldValue<DateTimeOffset>(0);
            scanRunId = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            (files, folders, bytes) = (reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
            breakdown = JsonSerializer.Deserialize<StorageBreakdown>(reader.GetString(5), Json)!;
        }

        var growth = new List<StorageGrowthPoint>();
        await using (var points = new NpgsqlCommand(
            $"SELECT computed_at, files, bytes FROM (SELECT computed_at, files, bytes FROM storage_statistics WHERE root_id = $1 AND computed_at >= $2 ORDER BY computed_at DESC LIMIT {MaxGrowthPoints}) p ORDER BY computed_at",
            connection))
        {
            points.Parameters.Add(new NpgsqlParameter { Value = rootId });
            points.Parameters.Add(new NpgsqlParameter { Value = since });
            await using var reader = await points.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                growth.Add(new StorageGrowthPoint(reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        // Emails now, not at computation: a renamed account shows its current address, a deleted one none.
        var emails = new Dictionary<Guid, string>();
        if (breakdown.Uploaders.Count > 0)
        {
            await using var users = new NpgsqlCommand("SELECT id, email FROM users WHERE id = ANY($1)", connection);
            users.Parameters.Add(new NpgsqlParameter { Value = breakdown.Uploaders.Select(u => u.UserId).ToArray() });
            await using var reader = await users.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                emails[reader.GetGuid(0)] = reader.IsDBNull(1) ? "" : reader.GetString(1);
            }
        }

        breakdown = breakdown with { Uploaders = [.. breakdown.Uploaders.Select(u => u with { Email = emails.GetValueOrDefault(u.UserId) })] };
        return new RootStorageStatistics(rootId, computedAt, scanRunId, files, folders, bytes, breakdown, growth);
    }

    /// <summary>Computes the root's statistics now (an admin's "recompute"; scans do it on their own when they complete).</summary>
    public async Task<Result<bool>> RefreshAsync(AccessSubject actor, int rootId, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return Forbidden;
        }

        await ComputeAsync(rootId, null, cancellationToken);
        return true;
    }

    Task IContentListener.ScanMergedAsync(long scanId, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IContentListener.FilesAddedAsync(IReadOnlyList<AddedFile> files, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IContentListener.ScanCompletedAsync(int rootId, long scanId, CancellationToken cancellationToken) => ComputeAsync(rootId, scanId, cancellationToken);

    /// <summary>
    /// One pass over the root's active entries, grouped four ways at once, and one over its folders; one row written.
    /// FileVault's own callers only (a completed scan, the scan command); what it writes is read through
    /// <see cref="ForRootAsync"/>, which admits only admins.
    /// </summary>
    public async Task ComputeAsync(int rootId, long? scanRunId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        var extensions = new List<ExtensionBytes>();
        var direct = new Dictionary<long, (long Files, long Bytes)>();
        var uploaders = new List<UploaderBytes>();
        long files = 0, folders = 0, bytes = 0;
        // Kinds and states as EntryKind and EntryState number them: 0 folder, 1 file; 0 active.
        await using (var grouped = new NpgsqlCommand("""
            SELECT GROUPING(extension), GROUPING(parent_id), GROUPING(uploaded_by_id), extension, parent_id, uploaded_by_id,
                   count(*) FILTER (WHERE kind = 1), coalesce(sum(size) FILTER (WHERE kind = 1), 0)::bigint, count(*) FILTER (WHERE kind = 0)
            FROM entries
            WHERE root_id = $1 AND state = 0 AND relative_path <> ''
            GROUP BY GROUPING SETS ((extension), (parent_id), (uploaded_by_id), ())
            """, connection))
        {
            grouped.Parameters.Add(new NpgsqlParameter { Value = rootId });
            await using var reader = await grouped.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var groupFiles = reader.GetInt64(6);
                var groupBytes = reader.GetInt64(7);
                if (reader.GetInt32(0) == 0)
                {
                    if (groupFiles > 0)
                    {
                        extensions.Add(new ExtensionBytes(reader.IsDBNull(3) ? "" : reader.GetString(3), groupFiles, groupBytes));
                    }
                }
                else if (reader.GetInt32(1) == 0)
                {
                    if (!reader.IsDBNull(4) && groupFiles > 0)
                    {
                        direct[reader.GetInt64(4)] = (groupFiles, groupBytes);
                    }
                }
                else if (reader.GetInt32(2) == 0)
                {
                    if (!reader.IsDBNull(5) && groupFiles > 0)
                    {
                        uploaders.Add(new UploaderBytes(reader.GetGuid(5), null, groupFiles, groupBytes));
                    }
                }
                else
                {
                    (files, bytes, folders) = (groupFiles, groupBytes, reader.GetInt64(8));
                }
            }
        }

        var largest = await LargestFoldersAsync(connection, rootId, direct, cancellationToken);
        var types = extensions
            .GroupBy(e => FileTypes.Of(e.Extension)?.ToString() ?? "Other")
            .Select(g => new TypeBytes(g.Key, g.Sum(e => e.Files), g.Sum(e => e.Bytes)))
            .OrderByDescending(t => t.Bytes).ThenBy(t => t.Type, StringComparer.Ordinal).ToList();
        var ordered = extensions.OrderByDescending(e => e.Bytes).ThenBy(e => e.Extension, StringComparer.Ordinal).ToList();
        var rest = ordered.Skip(TopExtensions).ToList();
        var breakdown = new StorageBreakdown(
            types,
            [.. ordered.Take(TopExtensions)],
            rest.Count == 0 ? null : new ExtensionBytes("*", rest.Sum(e => e.Files), rest.Sum(e => e.Bytes)),
            largest,
            [.. uploaders.OrderByDescending(u => u.Bytes).ThenBy(u => u.UserId).Take(TopUploaders)]);

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO storage_statistics (root_id, scan_run_id, computed_at, files, folders, bytes, details) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = rootId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)scanRunId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            insert.Parameters.Add(new NpgsqlParameter { Value = files });
            insert.Parameters.Add(new NpgsqlParameter { Value = folders });
            insert.Parameters.Add(new NpgsqlParameter { Value = bytes });
            insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(breakdown, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        logger.LogInformation("Storage statistics of root {Root}: {Files} files, {Bytes} bytes, computed in {Ms:F0} ms",
            rootId, files, bytes, time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Every folder's own files added up into its ancestors, deepest first; the largest few, the root itself left out.</summary>
    private static async Task<IReadOnlyList<FolderBytes>> LargestFoldersAsync(
        NpgsqlConnection connection, int rootId, Dictionary<long, (long Files, long Bytes)> direct, CancellationToken cancellationToken)
    {
        var folders = new List<(long Id, long? Parent, string Path, int Depth)>();
        await using (var command = new NpgsqlCommand("SELECT id, parent_id, relative_path FROM entries WHERE root_id = $1 AND state = 0 AND kind = 0", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = rootId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var path = reader.GetString(2);
                folders.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), path, path.Length == 0 ? 0 : path.Count(c => c == '/') + 1));
            }
        }

        var totals = new Dictionary<long, (long Files, long Bytes)>(folders.Count);
        foreach (var folder in folders)
        {
            totals[folder.Id] = direct.GetValueOrDefault(folder.Id);
        }

        foreach (var folder in folders.OrderByDescending(f => f.Depth))
        {
            if (folder.Parent is { } parent && totals.TryGetValue(parent, out var above))
            {
                var own = totals[folder.Id];
                totals[parent] = (above.Files + own.Files, above.Bytes + own.Bytes);
            }
        }

        return [.. folders.Where(f => f.Depth > 0)
            .Select(f => new FolderBytes(f.Id, f.Path, totals[f.Id].Files, totals[f.Id].Bytes))
            .OrderByDescending(f => f.Bytes).ThenBy(f => f.Path, StringComparer.Ordinal)
            .Take(TopFolders)];
    }
}
