using System.Collections.Concurrent;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Search.Meilisearch;
using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace FileVault.Core.Monitoring;

/// <summary>One service as last checked: whether it answered, how fast, and the last error it gave (kept after it recovers).</summary>
public sealed record ServiceStatus(
    string Key, string Name, string Kind, bool IsHealthy, double? LatencyMs, DateTimeOffset CheckedAt, string? Error, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>
/// PostgreSQL, Redis, Meilisearch when it is configured (GET /health; not listed otherwise) and every storage root's
/// mount, checked with a timeout each, with latency and the last error.
/// Results are shared by every admin page of this instance and checked again when older than <see cref="FreshFor"/>,
/// so the admin banner can ask on every navigation without piling checks onto a service that is down.
/// </summary>
public sealed class ServiceHealth(IDbContextFactory<FileVaultDbContext> contexts, NpgsqlDataSource data, IConnectionMultiplexer redis, TimeProvider time,
    IServiceProvider services) : IDisposable
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, ServiceStatus> _last = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    /// <summary>Raised after each round of checks, so a banner already on screen follows a check another page started.</summary>
    public event Action? Checked;

    /// <summary>The latest statuses (checked again first when stale or <paramref name="force"/>). Admins only.</summary>
    public async Task<Result<IReadOnlyList<ServiceStatus>>> CheckAsync(AccessSubject actor, bool force, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see service health.");
        }

        if (force || time.GetUtcNow() - _checkedAt >= FreshFor)
        {
            var checkedNow = false;
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (force || time.GetUtcNow() - _checkedAt >= FreshFor)
                {
                    await CheckAllAsync(cancellationToken);
                    checkedNow = true;
                }
            }
            finally
            {
                _gate.Release();
            }

            if (checkedNow)
            {
                Checked?.Invoke();
            }
        }

        return Current();
    }

    public void Dispose() => _gate.Dispose();

    private List<ServiceStatus> Current() =>
        [.. _last.Values.OrderBy(s => s.Kind == "root" ? 1 : 0).ThenBy(s => s.Name, StringComparer.CurrentCulture)];

    private async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        await MeasureAsync("postgres", "PostgreSQL", "database", async token =>
        {
            await using var command = data.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(token);
        }, cancellationToken);
        await MeasureAsync("redis", "Redis", "cache", async token => await redis.GetDatabase().PingAsync().WaitAsync(Timeout, token), cancellationToken);

        // Registered only when FileVault:Search:Meilisearch:Url is set. A typed client is transient: one per round keeps
        // the HTTP handler rotation of the client factory.
        if (services.GetService<MeilisearchClient>() is { } meilisearch)
        {
            await MeasureAsync("meilisearch", "Meilisearch", "search", meilisearch.HealthAsync, cancellationToken);
        }

        List<StorageRoot>? roots = null;
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            roots = await db.StorageRoots.AsNoTracking().ToListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // PostgreSQL is down (its own row says so): the roots keep their previous statuses.
        }

        if (roots is not null)
        {
            foreach (var root in roots)
            {
                await MeasureAsync($"root:{root.Id}", root.Name, "root", async token =>
                {
                    var health = await MountHealth.CheckAsync(root, Timeout, token);
                    if (!health.IsHealthy)
                    {
                        throw new InvalidOperationException(health.Problem!.Message);
                    }
                }, cancellationToken);
            }

            foreach (var gone in _last.Keys.Where(k => k.StartsWith("root:", StringComparison.Ordinal) && !roots.Any(r => $"root:{r.Id}" == k)))
            {
                _last.TryRemove(gone, out _);
            }
        }

        _checkedAt = time.GetUtcNow();
    }

    private async Task MeasureAsync(string key, string name, string kind, Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        string? error = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            await check(timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            error = ex is OperationCanceledException or TimeoutException ? $"No answer within {Timeout.TotalSeconds:F0} s." : ex.Message;
        }

        var now = time.GetUtcNow();
        var previous = _last.GetValueOrDefault(key);
        _last[key] = new ServiceStatus(key, name, kind, error is null, error is null ? time.GetElapsedTime(started).TotalMilliseconds : null, now, error,
            error ?? previous?.LastError, error is null ? previous?.LastErrorAt : now);
    }
}
