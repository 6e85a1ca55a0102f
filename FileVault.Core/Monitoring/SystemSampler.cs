using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace FileVault.Core.Monitoring;

/// <summary>
/// The live dashboard's sampling: it runs only while at least one admin page subscribes (no work when nobody looks),
/// every <see cref="MonitoringOptions.LiveInterval"/>, and hands each sample to every subscriber.
/// </summary>
public sealed class SystemSampler(WatchedPlaces places, TimeProvider time, IOptions<MonitoringOptions> options, ILogger<SystemSampler> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Action<SystemSample>> _subscribers = [];
    private CancellationTokenSource? _running;

    /// <summary>The newest sample, for a page that opens between two.</summary>
    public SystemSample? Latest { get; private set; }

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running is not null;
            }
        }
    }

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Starts sampling if nobody did; dispose the result when the page closes, and the last one out stops it.</summary>
    public Result<IDisposable> Subscribe(AccessSubject actor, Action<SystemSample> onSample)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the system dashboard.");
        }

        lock (_gate)
        {
            _subscribers.Add(onSample);
            if (_running is null)
            {
                _running = new CancellationTokenSource();
                _ = LoopAsync(_running.Token);
            }
        }

        return new Subscription(this, onSample);
    }

    private void Unsubscribe(Action<SystemSample> onSample)
    {
        lock (_gate)
        {
            _subscribers.Remove(onSample);
            if (_subscribers.Count == 0 && _running is { } running)
            {
                running.Cancel();
                running.Dispose();
                _running = null;
            }
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var reader = new SystemReader(time);
        try
        {
            var watched = await places.ListAsync(cancellationToken);
            reader.Read(watched);
            using var timer = new PeriodicTimer(options.Value.LiveInterval, time);
            var tick = 0;
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (++tick % 30 == 0)
                {
                    watched = await places.ListAsync(cancellationToken);
                }

                var sample = reader.Read(watched);
                Latest = sample;
                Action<SystemSample>[] subscribers;
                lock (_gate)
                {
                    subscribers = [.. _subscribers];
                }

                foreach (var subscriber in subscribers)
                {
                    try
                    {
                        subscriber(sample);
                    }
                    catch (Exception ex)
                    {
                        logger.LogWarning(ex, "A dashboard subscriber failed");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The last page closed.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "System sampling stopped");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _subscribers.Clear();
            _running?.Cancel();
            _running?.Dispose();
            _running = null;
        }
    }

    private sealed class Subscription(SystemSampler sampler, Action<SystemSample> onSample) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                sampler.Unsubscribe(onSample);
            }
        }
    }
}

/// <summary>The places whose file systems the dashboard shows: every storage root, and PostgreSQL's and Redis's data when they are on this host.</summary>
public sealed class WatchedPlaces(
    IDbContextFactory<FileVaultDbContext> contexts, NpgsqlDataSource data, IConnectionMultiplexer redis, IOptions<MonitoringOptions> options, ILogger<WatchedPlaces> logger)
{
    private string? _postgres;
    private string? _redis;
    private bool _asked;

    public async Task<IReadOnlyList<WatchedPlace>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<WatchedPlace>();
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            list.AddRange(await db.StorageRoots.AsNoTracking().OrderBy(r => r.Name).Select(r => new WatchedPlace(r.Name, r.Path)).ToListAsync(cancellationToken));
        }

        if (!_asked)
        {
            _asked = true;
            _postgres = options.Value.PostgresDataDirectory is { Length: > 0 } pg ? pg : await AskPostgresAsync(cancellationToken);
            _redis = options.Value.RedisDataDirectory is { Length: > 0 } rd ? rd : await AskRedisAsync();
        }

        if (_postgres is not null && Directory.Exists(_postgres))
        {
            list.Add(new WatchedPlace("PostgreSQL", _postgres));
        }

        if (_redis is not null && Directory.Exists(_redis))
        {
            list.Add(new WatchedPlace("Redis", _redis));
        }

        return list;
    }

    private async Task<string?> AskPostgresAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = data.CreateCommand("SELECT current_setting('data_directory')");
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (PostgresException ex)
        {
            logger.LogInformation("PostgreSQL's data directory is not shown: {Reason}", ex.MessageText);
            return null;
        }
    }

    private async Task<string?> AskRedisAsync()
    {
        try
        {
            // The shared connection keeps admin commands off; CONFIG GET needs them, so one short-lived connection with
            // the same settings asks once.
            var settings = ConfigurationOptions.Parse(redis.Configuration);
            settings.AllowAdmin = true;
            settings.ClientName = "filevault-dashboard";
            await using var admin = await ConnectionMultiplexer.ConnectAsync(settings);
            var server = admin.GetServers().FirstOrDefault(s => s.IsConnected);
            var dir = server is null ? [] : await server.ConfigGetAsync("dir");
            return dir.Length > 0 ? dir[0].Value : null;
        }
        catch (Exception ex)
        {
            // CONFIG is renamed or refused on the server (a managed Redis): the dashboard does without.
            logger.LogInformation("Redis's data directory is not shown: {Reason}", ex.Message);
            return null;
        }
    }
}
