using System.Text.Json;
using FileVault.Core.Data;
using FileVault.Core.Redis;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace FileVault.Core.Locks;

/// <summary>What an operation locks: paths of one root, and who asks, for the "in use by" message.</summary>
public sealed record LockRequest(int RootId, IReadOnlyList<string> Paths, string Operation, string User)
{
    // The names asked in the last minute, by user: a folder upload locks once per file, and the name is only a label
    // in others' "in use by" message (an e-mail changed within the minute may show the old one there). Not an access
    // decision: nothing is allowed or refused by it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (string Name, long At)> HolderNames = new();
    private const long HolderNameMilliseconds = 60_000;
    private const int MaxHolderNames = 10_000;

    /// <summary>How a lock names its holder to others: the user's e-mail (their id when the account has none).</summary>
    public static async Task<string> HolderNameAsync(IDbContextFactory<FileVaultDbContext> contexts, Guid userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        var now = Environment.TickCount64;
        if (HolderNames.TryGetValue(userId, out var known) && now - known.At < HolderNameMilliseconds)
        {
            return known.Name;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken) ?? userId.ToString();
        if (HolderNames.Count >= MaxHolderNames)
        {
            HolderNames.Clear();
        }

        HolderNames[userId] = (name, now);
        return name;
    }
}

/// <summary>A lease as stored with its job, so whichever instance runs the job can renew it, or take it again after a crash.</summary>
public sealed record HeldLocks(int RootId, IReadOnlyList<string> Paths, string Operation, string User, string Token, long FencingToken);

/// <summary>
/// Hierarchical locks on catalog paths in Redis (R-OP-4): locking "a/b" conflicts with "a" and with "a/b/c", not with
/// "a/c" or "a/bc" (ancestry is by whole components). All paths of an operation are taken atomically by one Lua script,
/// or none is. Each lock is a lease with an expiry that its holder renews, and carries a fencing token (R-OP-5).
/// With Redis unreachable, acquiring fails within the client's timeout with <c>lock.unavailable</c>.
/// </summary>
/// <remarks>
/// Per locked path P there is a key holding its owner; and every ancestor A of P (the root "" included) has a sorted
/// set of the locks beneath it, scored by expiry, so "is anything under P locked?" is one ZCARD after dropping
/// expired members.
/// </remarks>
public sealed class ResourceLocks(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time)
{
    // The folders above a path, by whole components: "" (the root), "a", "a/b" for "a/b/c".
    private const string AncestorsFunction = """
        local function ancestors(path)
          local result = { '' }
          local at = 0
          while true do
            local slash = string.find(path, '/', at + 1, true)
            if not slash then break end
            table.insert(result, string.sub(path, 1, slash - 1))
            at = slash
          end
          return result
        end

        """;

    // KEYS: fence counter. ARGV: now, ttl, token, owner json, root, n, then n paths.
    private const string AcquireScript = AncestorsFunction + """
        local now = tonumber(ARGV[1]); local ttl = tonumber(ARGV[2]); local token = ARGV[3]; local owner = ARGV[4]
        local prefix = ARGV[5]; local n = tonumber(ARGV[6])
        for i = 1, n do
          local path = ARGV[6 + i]
          local held = redis.call('GET', prefix .. 'held:' .. path)
          if held and held ~= owner then return { 'conflict', held } end
          for _, ancestor in ipairs(ancestors(path)) do
            if ancestor ~= path then
              local above = redis.call('GET', prefix .. 'held:' .. ancestor)
              if above and above ~= owner then return { 'conflict', above } end
            end
          end
          local below = prefix .. 'below:' .. path
          redis.call('ZREMRANGEBYSCORE', below, '-inf', now)
          -- A token is a member once: of the first two, one that is not ours is someone else's lock.
          for _, member in ipairs(redis.call('ZRANGE', below, 0, 1)) do
            if member ~= token then
              local holder = redis.call('GET', prefix .. 'owner:' .. member)
              return { 'conflict', holder or '{}' }
            end
          end
        end
        local fence = redis.call('INCR', KEYS[1])
        for i = 1, n do
          local path = ARGV[6 + i]
          redis.call('SET', prefix .. 'held:' .. path, owner, 'PX', ttl)
          for _, ancestor in ipairs(ancestors(path)) do
            if ancestor ~= path then
              redis.call('ZADD', prefix .. 'below:' .. ancestor, now + ttl, token)
              redis.call('PEXPIRE', prefix .. 'below:' .. ancestor, ttl * 2)
            end
          end
        end
        redis.call('SET', prefix .. 'owner:' .. token, owner, 'PX', ttl)
        return { 'ok', tostring(fence) }
        """;

    // ARGV: now, ttl, token, root prefix, n, paths. Renews (ttl > 0) or releases (ttl = 0) what the token holds.
    private const string RefreshScript = AncestorsFunction + """
        local now = tonumber(ARGV[1]); local ttl = tonumber(ARGV[2]); local token = ARGV[3]; local prefix = ARGV[4]
        local n = tonumber(ARGV[5])
        local owner = redis.call('GET', prefix .. 'owner:' .. token)
        if not owner then return 0 end
        local kept = 1
        for i = 1, n do
          local path = ARGV[5 + i]
          local key = prefix .. 'held:' .. path
          if redis.call('GET', key) ~= owner then kept = 0 end
          for _, ancestor in ipairs(ancestors(path)) do
            if ancestor ~= path then
              local below = prefix .. 'below:' .. ancestor
              if ttl > 0 then redis.call('ZADD', below, 'XX', now + ttl, token); redis.call('PEXPIRE', below, ttl * 2)
              else redis.call('ZREM', below, token) end
            end
          end
          if redis.call('GET', key) == owner then
            if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('DEL', key) end
          end
        end
        if ttl > 0 then redis.call('PEXPIRE', prefix .. 'owner:' .. token, ttl) else redis.call('DEL', prefix .. 'owner:' .. token) end
        return kept
        """;

    public Task<Result<ResourceLease>> AcquireAsync(LockRequest request, TimeSpan ttl, CancellationToken cancellationToken) =>
        AcquireAsync(request, Guid.NewGuid().ToString("N"), ttl, cancellationToken);

    /// <remarks>
    /// Locks already held under <paramref name="token"/> do not conflict: a job retaking its lease after a crash keeps
    /// its token, so a lease half taken again by a process killed before it could record the result is still its own.
    /// </remarks>
    private async Task<Result<ResourceLease>> AcquireAsync(LockRequest request, string token, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var owner = JsonSerializer.Serialize(new LockOwner(request.Operation, request.User, token));
        var paths = request.Paths.Distinct(StringComparer.Ordinal).ToArray();
        RedisValue[] arguments =
        [
            time.GetUtcNow().ToUnixTimeMilliseconds(), (long)ttl.TotalMilliseconds, token, owner, RootPrefix(request.RootId),
            paths.Length, .. paths.Select(p => (RedisValue)p),
        ];
        RedisResult result;
        try
        {
            result = await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript, [keys.For("lock:fence")], arguments).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new Error("lock.unavailable", "Locks are unavailable (Redis cannot be reached); writes are refused until it is back.");
        }

        var reply = (RedisResult[])result!;
        if ((string?)reply[0] == "conflict")
        {
            var holder = JsonSerializer.Deserialize<LockOwner>((string)reply[1]!) ?? new LockOwner("?", "?", "");
            return new Error("lock.conflict", $"In use by {holder.Operation} of {holder.User}.", [holder.Operation, holder.User]);
        }

        return new ResourceLease(this, request.RootId, paths, token, long.Parse((string)reply[1]!, System.Globalization.CultureInfo.InvariantCulture), ttl,
            request.Operation, request.User);
    }

    /// <summary>
    /// The lease a job stored: renewed under its token when it is still held, else (it expired while no process ran the
    /// job) taken again, which fails with <c>lock.conflict</c> when someone else has the paths now.
    /// </summary>
    public async Task<Result<ResourceLease>> ResumeAsync(HeldLocks held, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var lease = new ResourceLease(this, held.RootId, held.Paths, held.Token, held.FencingToken, ttl, held.Operation, held.User);
        if (await RefreshAsync(lease, ttl))
        {
            return lease;
        }

        return await AcquireAsync(new LockRequest(held.RootId, held.Paths, held.Operation, held.User), held.Token, ttl, cancellationToken);
    }

    /// <summary>Renews a stored lease under its token; false when it is no longer held.</summary>
    public Task<bool> RenewAsync(HeldLocks held, TimeSpan ttl) =>
        RefreshAsync(new ResourceLease(this, held.RootId, held.Paths, held.Token, held.FencingToken, ttl, held.Operation, held.User), ttl);

    /// <summary>Releases a stored lease whose job will not run (cancelled while queued); a lease already taken by another token is left alone.</summary>
    public Task<bool> ReleaseAsync(HeldLocks held) => RenewAsync(held, TimeSpan.Zero);

    internal async Task<bool> RefreshAsync(ResourceLease lease, TimeSpan ttl)
    {
        RedisValue[] arguments =
        [
            time.GetUtcNow().ToUnixTimeMilliseconds(), (long)ttl.TotalMilliseconds, lease.Token, RootPrefix(lease.RootId),
            lease.Paths.Count, .. lease.Paths.Select(p => (RedisValue)p),
        ];
        try
        {
            return (long)await redis.GetDatabase().ScriptEvaluateAsync(RefreshScript, [keys.For("lock:fence")], arguments) == 1;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private string RootPrefix(int rootId) => keys.For($"lock:{rootId}:");

    private sealed record LockOwner(string Operation, string User, string Token);
}

/// <summary>Held locks: renew before they expire, check the fencing token before each disk change, dispose to release.</summary>
public sealed class ResourceLease : IAsyncDisposable
{
    private readonly ResourceLocks _locks;
    private readonly TimeSpan _ttl;
    private bool _released;

    internal ResourceLease(ResourceLocks locks, int rootId, IReadOnlyList<string> paths, string token, long fencingToken, TimeSpan ttl,
        string operation, string user)
    {
        Operation = operation;
        User = user;
        _locks = locks;
        RootId = rootId;
        Paths = paths;
        Token = token;
        FencingToken = fencingToken;
        _ttl = ttl;
    }

    public int RootId { get; }

    public IReadOnlyList<string> Paths { get; }

    /// <summary>Grows with every acquisition: a job stores it and refuses to act when a newer one owns its paths.</summary>
    public long FencingToken { get; }

    internal string Token { get; }

    public string Operation { get; }

    public string User { get; }

    /// <summary>What a job stores to renew or retake this lease from any instance.</summary>
    public HeldLocks ToHeld() => new(RootId, Paths, Operation, User, Token, FencingToken);

    /// <summary>Hands the lease over to a job: disposing no longer releases it (the job runner does, when the job ends).</summary>
    public void Detach() => _released = true;

    /// <summary>Extends the lease; false when it was lost (expired and taken, or Redis unreachable): stop at a safe point.</summary>
    public Task<bool> RenewAsync() => _locks.RefreshAsync(this, _ttl);

    public async ValueTask DisposeAsync()
    {
        if (!_released)
        {
            _released = true;
            await _locks.RefreshAsync(this, TimeSpan.Zero);
        }
    }
}
