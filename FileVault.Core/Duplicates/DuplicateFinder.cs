using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FileVault.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Npgsql;
using NpgsqlTypes;

namespace FileVault.Core.Duplicates;

/// <summary>How far a duplicate search is: files looked at of those it must look at, and in which pass.</summary>
public sealed record DuplicateScanProgress(long Done, long Total, string Phase);

/// <summary>What one duplicate search did: files it had to compare, read now, taken from stored hashes, found changed or unreadable, and what it found.</summary>
public sealed record DuplicateScanSummary(
    int Candidates, int Read, int Reused, int Changed, int Unreadable, int SkippedRoots, int Groups, long ReclaimableBytes, double Seconds);

/// <summary>
/// Finds files with the same content across the catalog, reading as little as it can: only files whose size another
/// file shares; of those, the first and last block (a partial hash), and the whole file only where partial hashes
/// collide. Hard links (same device and inode) are one file. Hashes are kept in <see cref="ContentHash"/> with the
/// file's identity and reused while it is unchanged. Every file is opened through the path guard (no link followed
/// out of the root, none at the name), and checked again after it is read: a file that changed meanwhile is dropped
/// from this search, its stored hashes with it, and is read again next time.
/// </summary>
public sealed partial class DuplicateFinder(NpgsqlDataSource data, TimeProvider time, ILogger<DuplicateFinder> logger)
{
    /// <summary>The partial hash reads this much from each end (jdupes and fdupes read 4 KiB first too).</summary>
    public const int BlockSize = 4096;

    private const int BatchSize = 4096;
    private const int EIntr = 4;

    private readonly ConcurrentDictionary<string, double> _steps = new();

    /// <summary>
    /// Seconds of the last search's steps, for the benchmark: forget and load (running together from the start: when
    /// each ended), partial and full (reading and hashing), total.
    /// </summary>
    public IReadOnlyDictionary<string, double> LastSteps => _steps;

    /// <summary>Test seam: runs after a file's bytes were read and before it is checked again, with its path.</summary>
    internal Action<string>? AfterRead { get; set; }

    /// <summary>
    /// Runs one search over every healthy root. <paramref name="step"/> is asked between batches with the progress so
    /// far; an error from it (the owner may no longer run it) stops the search there, keeping the hashes stored so far.
    /// </summary>
    public async Task<Result<DuplicateScanSummary>> RunAsync(Func<DuplicateScanProgress, Task<Error?>> step, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _steps.Clear();
        // Forgetting the hashes of inactive entries touches none that the load reads (active files only): both at once.
        var forgetting = TimedAsync("forget", clock, ForgetGoneAsync(cancellationToken));
        var (roots, skippedRoots) = await HealthyRootsAsync(cancellationToken);
        var folders = new Folders(logger);
        var candidates = new List<Candidate>();
        var done = 0L;

        // Pass 1: the partial hash of every candidate (or the stored one), a batch at a time as the catalog streams
        // them in, size group by size group: one batch is hashed while the next is loaded, and its hashes are stored
        // while the one after it is hashed.
        var saving = Task.CompletedTask;
        var hashing = Task.CompletedTask;
        Candidate[]? hashed = null;
        async Task StoreHashedAsync()
        {
            await hashing;
            if (hashed is not null)
            {
                await saving;
                saving = SaveAsync(hashed, cancellationToken);
                done += hashed.Length;
                hashed = null;
            }
        }

        await foreach (var batch in LoadCandidatesAsync(roots, cancellationToken))
        {
            candidates.AddRange(batch);
            await StoreHashedAsync();
            if (await step(new DuplicateScanProgress(done, candidates.Count, "partial")) is { } denied)
            {
                await Task.WhenAll(saving, forgetting);
                return denied;
            }

            // Read in catalog order (folder by folder, as the scan found them), not size order: neighbours share
            // the folders the kernel and the path guard have just looked up.
            Array.Sort(batch, (a, b) => a.EntryId.CompareTo(b.EntryId));
            hashed = batch;
            hashing = Task.Run(() =>
            {
                var started = clock.Elapsed.TotalSeconds;
                Parallel.ForEach(batch, Parallelism(cancellationToken), c => HashPartial(c, folders));
                _steps.AddOrUpdate("partial", clock.Elapsed.TotalSeconds - started, (_, s) => s + clock.Elapsed.TotalSeconds - started);
            }, cancellationToken);
        }

        _steps["load"] = clock.Elapsed.TotalSeconds;
        await StoreHashedAsync();
        await saving;
        await forgetting;
        var total = done;
        logger.LogInformation("Duplicate search: {Count} files share their size with another", candidates.Count);

        // Pass 2: the full hash where size and partial hash collide.
        var needFull = CollidingGroups(candidates, c => c.Partial)
            .SelectMany(g => g).Where(c => c.Full is null).ToList();
        total += needFull.Count;
        foreach (var batch in needFull.Chunk(BatchSize))
        {
            if (await step(new DuplicateScanProgress(done, total, "full")) is { } denied)
            {
                await saving;
                return denied;
            }

            var started = clock.Elapsed.TotalSeconds;
            Parallel.ForEach(batch, Parallelism(cancellationToken), c => HashFull(c, folders));
            _steps.AddOrUpdate("full", clock.Elapsed.TotalSeconds - started, (_, s) => s + clock.Elapsed.TotalSeconds - started);
            await saving;
            saving = SaveAsync(batch, cancellationToken);
            done += batch.Length;
        }

        await saving;
        _steps["total"] = clock.Elapsed.TotalSeconds;

        var groups = CollidingGroups(candidates, c => c.Partial is null ? null : c.Full).ToList();
        var summary = new DuplicateScanSummary(
            candidates.Count,
            candidates.Count(c => c.ReadNow),
            candidates.Count(c => c.Reused),
            candidates.Count(c => c.Outcome == Outcome.Changed),
            candidates.Count(c => c.Outcome == Outcome.Unreadable),
            skippedRoots,
            groups.Count,
            groups.Sum(g => g[0].Size * (g.Count - 1)),
            clock.Elapsed.TotalSeconds);
        await step(new DuplicateScanProgress(total, total, "done"));
        logger.LogInformation(
            "Duplicate search: {Groups} groups, {Bytes} bytes reclaimable; {Read} files read, {Reused} hashes reused, {Changed} changed meanwhile, {Unreadable} unreadable",
            summary.Groups, summary.ReclaimableBytes, summary.Read, summary.Reused, summary.Changed, summary.Unreadable);
        return summary;
    }

    private async Task TimedAsync(string step, Stopwatch clock, Task work)
    {
        await work;
        _steps[step] = clock.Elapsed.TotalSeconds;
    }

    private static ParallelOptions Parallelism(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };

    /// <summary>Files of one size whose key (partial or full hash) is equal, two inodes at least, each group once.</summary>
    private static IEnumerable<List<Candidate>> CollidingGroups(List<Candidate> candidates, Func<Candidate, byte[]?> key) =>
        candidates.Where(c => c.Outcome == Outcome.Pending && key(c) is not null)
            .GroupBy(c => new HashKey(c.Size, key(c)!))
            .Where(g => g.Count() > 1)
            .Select(g => g.ToList());

    /// <summary>A size and a SHA-256 as a value: equal and hashed by their bytes, with no string made per file.</summary>
    private readonly record struct HashKey(long Size, long A, long B, long C, long D)
    {
        public HashKey(long size, byte[] hash)
            : this(size, BitConverter.ToInt64(hash, 0), BitConverter.ToInt64(hash, 8), BitConverter.ToInt64(hash, 16), BitConverter.ToInt64(hash, 24))
        {
        }
    }

    private async Task<(List<StorageRoot> Roots, int Skipped)> HealthyRootsAsync(CancellationToken cancellationToken)
    {
        // Plain SQL, like the rest of the search: the CLI and benchmark run it in a fresh process, where building EF's model costs a second.
        var roots = new List<StorageRoot>();
        await using (var command = data.CreateCommand("SELECT id, name, path, device_id, marker_id FROM storage_roots ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                roots.Add(new StorageRoot
                {
                    Id = reader.GetInt32(0), Name = reader.GetString(1), Path = reader.GetString(2), DeviceId = reader.GetInt64(3), MarkerId = reader.GetGuid(4),
                });
            }
        }

        var healthy = new List<StorageRoot>();
        foreach (var root in roots)
        {
            var health = await MountHealth.CheckAsync(root, MountHealth.DefaultTimeout, cancellationToken);
            if (health.IsHealthy)
            {
                healthy.Add(root);
            }
            else
            {
                logger.LogWarning("Duplicate search skips root {Root}: {Reason}", root.Name, health.Problem!.Message);
            }
        }

        return (healthy, roots.Count - healthy.Count);
    }

    /// <summary>
    /// Forgets every stored hash, so the next search reads every candidate again: what a first search on a new
    /// installation does. For the benchmark's cold rounds (`FileVault.Web dedup --rounds`), run by the operator.
    /// </summary>
    public async Task ForgetAllHashesAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand("TRUNCATE content_hashes");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Hashes of entries no longer active (purged, trashed, gone missing) are dropped; a file coming back is read again.</summary>
    private async Task ForgetGoneAsync(CancellationToken cancellationToken)
    {
        await using var command = data.CreateCommand(
            "DELETE FROM content_hashes h WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = h.entry_id AND e.state = 0 AND e.kind = 1)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Active files (non-empty, with a name the disk can be asked for) whose size another inode shares, one candidate
    /// per inode (the lowest entry id) with its other names as links, and the hashes stored for it; in batches of
    /// whole size groups (about <see cref="BatchSize"/> files), each as soon as the catalog has sent it.
    /// </summary>
    /// <remarks>
    /// One scan of the active files in size order: a size group is complete when the next size begins, so the first
    /// batch can be hashed while the rest still streams in. That costs PostgreSQL a sort, given the memory to do it
    /// without spilling to disk; it is cheaper than the grouped self-join that would leave out unshared sizes there.
    /// </remarks>
    private async IAsyncEnumerable<Candidate[]> LoadCandidatesAsync(
        List<StorageRoot> roots, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rootPaths = roots.ToDictionary(r => r.Id, r => r.Path);
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var memory = new NpgsqlCommand("SET LOCAL work_mem = '128MB'", connection, transaction))
        {
            await memory.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand("""
            SELECT f.id, f.root_id, f.relative_path, f.size, f.device, f.inode,
                   h.size, h.mtime_ns, h.ctime_ns, h.device, h.inode, h.partial_hash, h.full_hash
            FROM entries f
            LEFT JOIN content_hashes h ON h.entry_id = f.id
            WHERE f.state = 0 AND f.kind = 1 AND f.size > 0 AND f.name_is_valid AND f.root_id = ANY($1)
            ORDER BY f.size, f.id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = rootPaths.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var batch = new List<Candidate>(BatchSize);
        var group = new List<Candidate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetInt64(0);
            var size = reader.GetInt64(3);
            if (group.Count > 0 && group[0].Size != size)
            {
                AddIfShared(group, batch);
                group.Clear();
                if (batch.Count >= BatchSize)
                {
                    yield return [.. batch];
                    batch.Clear();
                }
            }

            group.Add(new Candidate
            {
                EntryId = id,
                RootPath = rootPaths[reader.GetInt32(1)],
                Path = reader.GetString(2),
                Size = size,
                Device = reader.GetInt64(4),
                Inode = reader.GetInt64(5),
                Stored = reader.IsDBNull(6) ? null : new ContentHash
                {
                    EntryId = id,
                    Size = reader.GetInt64(6),
                    MtimeNs = reader.GetInt64(7),
                    CtimeNs = reader.GetInt64(8),
                    Device = reader.GetInt64(9),
                    Inode = reader.GetInt64(10),
                    PartialHash = reader.GetFieldValue<byte[]>(11),
                    FullHash = reader.IsDBNull(12) ? null : reader.GetFieldValue<byte[]>(12),
                },
            });
        }

        AddIfShared(group, batch);
        if (batch.Count > 0)
        {
            yield return [.. batch];
        }
    }

    /// <summary>
    /// Adds one size's files (in id order) to <paramref name="batch"/>, an inode once: its lowest id stands for it and
    /// its other names follow as links; nothing when they are all names of one inode.
    /// </summary>
    private static void AddIfShared(List<Candidate> sameSize, List<Candidate> batch)
    {
        if (sameSize.Count < 2)
        {
            return;
        }

        var byInode = new Dictionary<(long Device, long Inode), Candidate>();
        var inodes = new List<Candidate>();
        foreach (var file in sameSize)
        {
            if (byInode.TryGetValue((file.Device, file.Inode), out var first))
            {
                first.Links.Add(file.EntryId);
            }
            else
            {
                byInode[(file.Device, file.Inode)] = file;
                inodes.Add(file);
            }
        }

        if (inodes.Count > 1)
        {
            batch.AddRange(inodes);
        }
    }

    private void HashPartial(Candidate c, Folders folders)
    {
        // A stored hash is checked by lstat alone: nothing is read, so nothing needs opening.
        if (c.Stored is { } stored && folders.Resolve(c) is { } path && FileSnapshot.OfLink(path) is { } now && now.Matches(stored))
        {
            c.Seen = now;
            c.Partial = stored.PartialHash;
            c.Full = stored.FullHash;
            c.Reused = true;
            return;
        }

        using var handle = Open(c, folders);
        if (handle is null)
        {
            return;
        }

        if (c.Size <= 2 * BlockSize)
        {
            // Small enough to read whole: the partial hash is the full one.
            Span<byte> all = stackalloc byte[(int)c.Size];
            var read = ReadExactly(handle, all, 0);
            if (read < 0)
            {
                Drop(c, Outcome.Unreadable);
                return;
            }

            c.Partial = SHA256.HashData(all[..read]);
            c.Full = c.Partial;
        }
        else
        {
            Span<byte> ends = stackalloc byte[2 * BlockSize];
            var head = ReadExactly(handle, ends[..BlockSize], 0);
            var tail = head < 0 ? -1 : ReadExactly(handle, ends.Slice(head, BlockSize), c.Size - BlockSize);
            if (tail < 0)
            {
                Drop(c, Outcome.Unreadable);
                return;
            }

            c.Partial = SHA256.HashData(ends[..(head + tail)]);
        }

        CheckUnchanged(c, handle);
        c.ReadNow = true;
    }

    private void HashFull(Candidate c, Folders folders)
    {
        var before = c.Seen;
        using var handle = Open(c, folders);
        if (handle is null)
        {
            return;
        }

        if (c.Seen != before)
        {
            // Changed since its partial hash was taken.
            Drop(c, Outcome.Changed);
            return;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            long offset = 0;
            int read;
            while ((read = Read(handle, buffer, offset)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                offset += read;
            }

            if (read < 0)
            {
                Drop(c, Outcome.Unreadable);
                return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        c.Full = sha.GetHashAndReset();
        CheckUnchanged(c, handle);
        c.ReadNow = true;
    }

    /// <summary>Opens the candidate through the path guard and records what it is now; null (and why, on the candidate) when it cannot be compared.</summary>
    private SafeFileHandle? Open(Candidate c, Folders folders)
    {
        if (folders.Resolve(c) is not { } path)
        {
            Drop(c, Outcome.Unreadable);
            return null;
        }

        var handle = NoFollowFile.TryOpen(path, out var error);
        if (handle is null)
        {
            logger.LogDebug("Duplicate search skips {Path}: error {Errno}", c.Path, error);
            Drop(c, error is NoFollowFile.ENoEnt or NoFollowFile.Moved or NoFollowFile.ELoop ? Outcome.Changed : Outcome.Unreadable);
            return null;
        }

        var seen = FileSnapshot.Of(handle);
        // The catalog's size and inode are what grouped it: a file that differs from them changed since the last scan.
        if (seen is not { IsRegularFile: true } s || s.Size != c.Size || s.Device != c.Device || s.Inode != c.Inode)
        {
            handle.Dispose();
            Drop(c, Outcome.Changed);
            return null;
        }

        c.Seen = s;
        return handle;
    }

    private void CheckUnchanged(Candidate c, SafeFileHandle handle)
    {
        AfterRead?.Invoke(c.Path);

        // Any write in between moved mtime and ctime: the bytes hashed may be a mix of two versions.
        if (FileSnapshot.Of(handle) != c.Seen)
        {
            Drop(c, Outcome.Changed);
        }
    }

    private static void Drop(Candidate c, Outcome outcome)
    {
        c.Outcome = outcome;
        c.Partial = null;
        c.Full = null;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends: the bytes read, or -1 on an I/O error.</summary>
    private static int ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = Read(handle, buffer[total..], offset + total);
            if (read <= 0)
            {
                return read < 0 ? -1 : total;
            }

            total += read;
        }

        return total;
    }

    /// <summary>
    /// pread(2) itself: <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/> first asks each new handle
    /// whether it can seek (an lseek per file). An I/O error (EIO, ESTALE) is -1 and the file unreadable this time.
    /// </summary>
    private static unsafe int Read(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (true)
        {
            nint read;
            fixed (byte* b = buffer)
            {
                read = Native.pread((int)handle.DangerousGetHandle(), b, (nuint)buffer.Length, offset);
            }

            if (read >= 0 || Marshal.GetLastPInvokeError() != EIntr)
            {
                return (int)read;
            }
        }
    }

    private static unsafe partial class Native
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial nint pread(int fd, byte* buffer, nuint count, long offset);
    }

    /// <summary>Stores the hashes read now (for every name of the inode) and forgets those of files that changed.</summary>
    private async Task SaveAsync(IReadOnlyCollection<Candidate> batch, CancellationToken cancellationToken)
    {
        var fresh = batch.Where(c => c.ReadNow && c.Outcome == Outcome.Pending && c.Partial is not null).ToList();
        var gone = batch.Where(c => c.Outcome != Outcome.Pending && c.Stored is not null).SelectMany(c => c.Links.Prepend(c.EntryId)).ToArray();
        if (fresh.Count == 0 && gone.Length == 0)
        {
            return;
        }

        var rows = fresh.SelectMany(c => c.Links.Prepend(c.EntryId).Select(id => (Id: id, c))).ToList();
        await using var connection = await data.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Stored hashes are a cache: a batch lost to a crash is read again next time, so the commit need not wait for the disk.
        await using (var relaxed = new NpgsqlCommand("SET LOCAL synchronous_commit = off", connection, transaction))
        {
            await relaxed.ExecuteNonQueryAsync(cancellationToken);
        }

        if (gone.Length > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM content_hashes WHERE entry_id = ANY($1)", connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter { Value = gone });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        if (rows.Count > 0)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO content_hashes (entry_id, size, mtime_ns, ctime_ns, device, inode, partial_hash, full_hash, hashed_at)
                SELECT u.*, $9 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bytea[], $8::bytea[]) AS u
                ON CONFLICT (entry_id) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns,
                    device = excluded.device, inode = excluded.inode, partial_hash = excluded.partial_hash, full_hash = excluded.full_hash,
                    hashed_at = excluded.hashed_at
                """, connection, transaction);
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Seen!.Value.Size).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Seen!.Value.MtimeNs).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Seen!.Value.CtimeNs).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Seen!.Value.Device).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Seen!.Value.Inode).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Partial!).ToArray() });
            upsert.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.c.Full).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            upsert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var c in fresh)
        {
            // Saved: a later pass of this run that reads it again updates the same row.
            c.Stored = new ContentHash
            {
                EntryId = c.EntryId, Size = c.Seen!.Value.Size, MtimeNs = c.Seen.Value.MtimeNs, CtimeNs = c.Seen.Value.CtimeNs,
                Device = c.Seen.Value.Device, Inode = c.Seen.Value.Inode, PartialHash = c.Partial!, FullHash = c.Full,
            };
        }
    }

    /// <summary>
    /// The path guard's answer for each folder, asked once per folder and run: <see cref="PathGuard.ResolveEntry"/>
    /// maps an entry to its folder's real path (checked inside the root) joined with its own name, so the siblings of a
    /// resolved entry share that folder. A folder swapped for a link later in the run is still caught where it matters,
    /// when a file is read: <see cref="NoFollowFile"/> checks the opened file's real path.
    /// </summary>
    private sealed class Folders(ILogger logger)
    {
        private readonly ConcurrentDictionary<(string Root, string Folder), string?> _real = new();

        public string? Resolve(Candidate c)
        {
            var slash = c.Path.LastIndexOf('/');
            var name = c.Path[(slash + 1)..];
            var key = (c.RootPath, slash < 0 ? "" : c.Path[..slash]);
            if (_real.TryGetValue(key, out var folder))
            {
                return folder is null || PathGuard.IsReservedName(name) ? null : Path.Join(folder, name);
            }

            var resolved = PathGuard.ResolveEntry(c.RootPath, c.Path);
            if (!resolved.IsSuccess)
            {
                logger.LogDebug("Duplicate search skips {Path}: {Reason}", c.Path, resolved.Error!.Message);
                if (resolved.Error!.Code is "path.symlink_outside_root")
                {
                    // Every sibling shares the answer: the folder leads out of the root.
                    _real.TryAdd(key, null);
                }

                return null;
            }

            _real.TryAdd(key, Path.GetDirectoryName(resolved.Value));
            return resolved.Value;
        }
    }

    private enum Outcome
    {
        Pending,
        Changed,
        Unreadable,
    }

    private sealed class Candidate
    {
        public long EntryId { get; init; }

        public required string RootPath { get; init; }

        public required string Path { get; init; }

        public long Size { get; init; }

        public long Device { get; init; }

        public long Inode { get; init; }

        /// <summary>Other entries naming the same inode.</summary>
        public List<long> Links { get; } = [];

        public ContentHash? Stored { get; set; }

        public FileSnapshot? Seen { get; set; }

        public byte[]? Partial { get; set; }

        public byte[]? Full { get; set; }

        public bool ReadNow { get; set; }

        public bool Reused { get; set; }

        public Outcome Outcome { get; set; }
    }
}
