using System.Text;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Operations;
using FileVault.Core.Search;
using FileVault.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace FileVault.Core.Duplicates;

/// <summary>Which groups to list: those with a file in a root, below a folder of it, of a type; a page of them.</summary>
public sealed record DuplicateFilter(int? RootId = null, string? Folder = null, FileType? Type = null, int Skip = 0, int Take = 25);

/// <summary>One file of a group: where it is, and its inode (files sharing one are hard links, one copy on disk).</summary>
public sealed record DuplicateFile(long EntryId, int RootId, string RootName, string Path, string Name, DateTimeOffset ModifiedAt, long Device, long Inode);

/// <summary>Files with the same content: <see cref="Copies"/> inodes of <see cref="Size"/> bytes, all but one reclaimable.</summary>
public sealed record DuplicateGroup(string Hash, long Size, int Copies, IReadOnlyList<DuplicateFile> Files)
{
    public long ReclaimableBytes => Size * (Copies - 1);
}

public sealed record DuplicatePage(IReadOnlyList<DuplicateGroup> Groups, int Total, long ReclaimableBytes);

/// <summary>
/// The duplicate report, from the hashes the last searches stored, for files as the catalog has them now (a file
/// trashed, changed or rescanned since drops out), biggest savings first; and resolving a group by keeping one copy
/// and sending the others to the trash through the guarded delete operation, so it can be undone and is checked
/// like any delete. Admins only.
/// </summary>
public sealed class DuplicateReport(NpgsqlDataSource data, FileOperations operations)
{
    public const int MaxPageSize = 100;

    // A hash counts only while its file's catalog row still agrees with what was hashed.
    private const string ValidFiles = """
        SELECT e.id, e.root_id, e.relative_path, e.name, e.extension, e.size, e.modified_at, e.device, e.inode, h.full_hash,
               h.mtime_ns, h.ctime_ns
        FROM entries e JOIN content_hashes h ON h.entry_id = e.id
        WHERE e.state = 0 AND e.kind = 1 AND h.full_hash IS NOT NULL AND h.size = e.size AND h.device = e.device AND h.inode = e.inode
        """;

    public async Task<Result<DuplicatePage>> PageAsync(AccessSubject actor, DuplicateFilter filter, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return DuplicateScans.Forbidden;
        }

        if (filter.Take is < 1 or > MaxPageSize || filter.Skip < 0)
        {
            return new Error("duplicates.page", $"A page holds 1 to {MaxPageSize} groups.");
        }

        var folder = filter.Folder?.Trim().Trim('/');
        string[]? patterns = string.IsNullOrEmpty(folder)
            ? null
            : [.. new[] { folder.Normalize(NormalizationForm.FormC), folder.Normalize(NormalizationForm.FormD) }.Distinct().Select(f => LikePatterns.StartingWith(f + "/"))];
        await using var command = data.CreateCommand($"""
            WITH valid AS ({ValidFiles}),
            groups AS (
                SELECT size, full_hash, count(DISTINCT (device, inode))::int AS copies FROM valid
                GROUP BY size, full_hash HAVING count(DISTINCT (device, inode)) > 1),
            matching AS (
                SELECT g.* FROM groups g
                WHERE EXISTS (SELECT 1 FROM valid v WHERE v.size = g.size AND v.full_hash = g.full_hash
                    AND ($1::int IS NULL OR v.root_id = $1)
                    AND ($2::text[] IS NULL OR v.relative_path LIKE ANY($2))
                    AND ($3::text[] IS NULL OR v.extension = ANY($3))))
            SELECT size, full_hash, copies, count(*) OVER ()::int, coalesce(sum(size * (copies - 1)) OVER (), 0)::bigint
            FROM matching ORDER BY size * (copies - 1) DESC, full_hash LIMIT $4 OFFSET $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.RootId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)patterns ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = filter.Type is { } type ? FileTypes.Extensions(type).ToArray() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.Take });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.Skip });
        var heads = new List<(long Size, byte[] Hash, int Copies)>();
        var total = 0;
        var bytes = 0L;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                heads.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2)));
                total = reader.GetInt32(3);
                bytes = reader.GetInt64(4);
            }
        }

        if (heads.Count == 0 && filter.Skip > 0)
        {
            // Past the last page: the totals still answer.
            var first = await PageAsync(actor, filter with { Skip = 0, Take = 1 }, cancellationToken);
            return first.IsSuccess ? new DuplicatePage([], first.Value.Total, first.Value.ReclaimableBytes) : first;
        }

        var files = await FilesAsync(heads.Select(h => (h.Size, h.Hash)).ToList(), cancellationToken);
        var groups = heads.Select(h => new DuplicateGroup(Convert.ToHexStringLower(h.Hash), h.Size, h.Copies,
            files.Where(f => f.Size == h.Size && f.Hash.AsSpan().SequenceEqual(h.Hash)).Select(f => f.File).ToList())).ToList();
        return new DuplicatePage(groups, total, bytes);
    }

    /// <summary>
    /// Keeps <paramref name="keepEntryId"/> and sends every other copy of its group to the trash (other names of the
    /// kept file's own inode stay: trashing them would free nothing). Each file is checked on disk first: if any changed
    /// since it was hashed, nothing is trashed and the search must run again. One delete job per root.
    /// </summary>
    public async Task<Result<IReadOnlyList<long>>> ResolveAsync(AccessSubject actor, long keepEntryId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return DuplicateScans.Forbidden;
        }

        await using var command = data.CreateCommand($"""
            WITH valid AS ({ValidFiles}),
            kept AS (SELECT size, full_hash FROM valid WHERE id = $1)
            SELECT v.id, v.root_id, r.path, v.relative_path, v.device, v.inode, v.size, v.mtime_ns, v.ctime_ns, v.id = $1
            FROM valid v JOIN kept k ON k.size = v.size AND k.full_hash = v.full_hash
            JOIN storage_roots r ON r.id = v.root_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keepEntryId });
        var members = new List<(long Id, int RootId, string RootPath, string Path, ContentHash Hash, bool Keep)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                members.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), new ContentHash
                {
                    Device = reader.GetInt64(4), Inode = reader.GetInt64(5), Size = reader.GetInt64(6), MtimeNs = reader.GetInt64(7), CtimeNs = reader.GetInt64(8),
                    PartialHash = [],
                }, reader.GetBoolean(9)));
            }
        }

        if (!members.Any(m => m.Keep))
        {
            return new Error("duplicates.not_found", "That file is in no duplicate group; search for duplicates again.");
        }

        foreach (var member in members)
        {
            var resolved = PathGuard.ResolveEntry(member.RootPath, member.Path);
            if (!resolved.IsSuccess || FileSnapshot.OfLink(resolved.Value) is not { } now || !now.Matches(member.Hash))
            {
                return new Error("duplicates.changed", $"\"{member.Path}\" changed since the duplicate search; nothing was moved to the trash. Search again.");
            }
        }

        var kept = members.Single(m => m.Keep).Hash;
        var others = members.Where(m => m.Hash.Device != kept.Device || m.Hash.Inode != kept.Inode).ToList();
        if (others.Count == 0)
        {
            return new Error("duplicates.not_found", "That file has no other copy left.");
        }

        var jobs = new List<long>();
        foreach (var root in others.GroupBy(m => m.RootId).OrderBy(g => g.Key))
        {
            var key = idempotencyKey is null ? null : $"{idempotencyKey}:{root.Key}";
            var job = await operations.DeleteAsync(actor, root.Select(m => m.Id).ToList(), key, cancellationToken);
            if (!job.IsSuccess)
            {
                return job.Error!;
            }

            jobs.Add(job.Value);
        }

        return jobs;
    }

    private async Task<List<(long Size, byte[] Hash, DuplicateFile File)>> FilesAsync(List<(long Size, byte[] Hash)> groups, CancellationToken cancellationToken)
    {
        var files = new List<(long, byte[], DuplicateFile)>();
        if (groups.Count == 0)
        {
            return files;
        }

        await using var command = data.CreateCommand($"""
            WITH valid AS ({ValidFiles})
            SELECT v.size, v.full_hash, v.id, v.root_id, r.name, v.relative_path, v.name, v.modified_at, v.device, v.inode
            FROM valid v JOIN storage_roots r ON r.id = v.root_id
            JOIN unnest($1::bigint[], $2::bytea[]) AS g(size, full_hash) ON g.size = v.size AND g.full_hash = v.full_hash
            ORDER BY v.root_id, v.relative_path
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = groups.Select(g => g.Size).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = groups.Select(g => g.Hash).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), new DuplicateFile(
                reader.GetInt64(2), reader.GetInt32(3), reader.GetString(4), reader.GetString(5), reader.GetString(6),
                reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt64(8), reader.GetInt64(9))));
        }

        return files;
    }
}
