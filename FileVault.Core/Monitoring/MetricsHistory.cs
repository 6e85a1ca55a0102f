using FileVault.Core.Access;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Monitoring;

/// <summary>One point of a history chart: the average of the samples in its bucket.</summary>
public sealed record MetricPoint(DateTimeOffset At, double CpuPercent, double MemoryPercent, double Load1, double DiskReadBytesPerSecond, double DiskWrittenBytesPerSecond, double ReceivedBytesPerSecond, double SentBytesPerSecond);

/// <summary>An app instance's host as its newest kept sample shows it.</summary>
public sealed record MetricHost(string Host, DateTimeOffset LastSampleAt, double CpuPercent, double MemoryPercent, double Load1);

/// <summary>
/// The dashboard's history: every <see cref="MonitoringOptions.HistoryInterval"/> each instance keeps one sample of its
/// host in PostgreSQL (its own reader, so the rates cover the whole minute) and drops rows past the retention.
/// </summary>
public sealed class MetricsHistory(
    IDbContextFactory<FileVaultDbContext> contexts, WatchedPlaces places, TimeProvider time, IOptions<MonitoringOptions> options, ILogger<MetricsHistory> logger)
    : BackgroundService
{
    /// <summary>Most points one chart gets; longer ranges are averaged into wider buckets.</summary>
    public const int MaxPoints = 360;

    private readonly SystemReader _reader = new(time);

    /// <summary>Takes a sample and keeps it (the metrics cleanup sweep removes what is past the retention).</summary>
    public async Task RecordAsync(CancellationToken cancellationToken)
    {
        var sample = _reader.Read(await places.ListAsync(cancellationToken));
        var devices = sample.Disks.Where(d => d.Device is not null).GroupBy(d => d.Device).Select(g => g.First()).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.MetricSamples.Add(new MetricSample
        {
            Host = sample.Host,
            At = sample.At,
            CpuPercent = sample.CpuPercent,
            MemoryUsed = sample.Memory.Used,
            MemoryTotal = sample.Memory.Total,
            SwapUsed = sample.Memory.SwapUsed,
            Load1 = sample.Load.One,
            DiskReadBytesPerSecond = devices.Sum(d => d.ReadBytesPerSecond),
            DiskWrittenBytesPerSecond = devices.Sum(d => d.WrittenBytesPerSecond),
            ReceivedBytesPerSecond = sample.ReceivedBytesPerSecond,
            SentBytesPerSecond = sample.SentBytesPerSecond,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Deletes every host's samples older than the retention (the metrics cleanup sweep); returns how many.</summary>
    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cutoff = time.GetUtcNow() - options.Value.HistoryRetention;
        return await db.MetricSamples.Where(m => m.At < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// Every host that kept a sample within the retention (each app instance keeps its own), with its newest figures,
    /// so an admin on one instance sees the others. Admins only.
    /// </summary>
    public async Task<Result<IReadOnlyList<MetricHost>>> HostsAsync(AccessSubject actor, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the system dashboard.");
        }

        var cutoff = time.GetUtcNow() - options.Value.HistoryRetention;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Ids grow with time on every host, so each host's largest id is its newest sample.
        var newest = db.MetricSamples.Where(m => m.At >= cutoff).GroupBy(m => m.Host).Select(g => g.Max(m => m.Id));
        var rows = await db.MetricSamples.AsNoTracking().Where(m => newest.Contains(m.Id)).OrderBy(m => m.Host).ToListAsync(cancellationToken);
        return rows.Select(r => new MetricHost(r.Host, r.At, r.CpuPercent, r.MemoryTotal == 0 ? 0 : 100.0 * r.MemoryUsed / r.MemoryTotal, r.Load1)).ToList();
    }

    /// <summary>A host's history between two instants, at most <see cref="MaxPoints"/> points. Admins only.</summary>
    public async Task<Result<IReadOnlyList<MetricPoint>>> RangeAsync(AccessSubject actor, string host, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        if (!actor.IsAdministrator)
        {
            return new Error("auth.forbidden", "Only administrators see the system dashboard.");
        }

        if (to <= from)
        {
            return new Error("metrics.range", "The end of the range must come after its start.");
        }

        var bucket = Math.Max(60, (long)Math.Ceiling((to - from).TotalSeconds / MaxPoints));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.MetricSamples.AsNoTracking()
            .Where(m => m.Host == host && m.At >= from && m.At <= to)
            .OrderBy(m => m.At)
            .ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.At.ToUnixTimeSeconds() / bucket)
            .Select(g => new MetricPoint(
                DateTimeOffset.FromUnixTimeSeconds(g.Key * bucket),
                g.Average(r => r.CpuPercent),
                g.Average(r => r.MemoryTotal == 0 ? 0 : 100.0 * r.MemoryUsed / r.MemoryTotal),
                g.Average(r => r.Load1),
                g.Average(r => r.DiskReadBytesPerSecond),
                g.Average(r => r.DiskWrittenBytesPerSecond),
                g.Average(r => r.ReceivedBytesPerSecond),
                g.Average(r => r.SentBytesPerSecond)))
            .ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HistoryInterval, time);
        try
        {
            // The first reading only sets the counters the next one's rates are measured from.
            _reader.Read(await places.ListAsync(stoppingToken));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RecordAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // PostgreSQL restarting: the minute is missing from the history, nothing else.
                    logger.LogWarning("Metrics history sample not kept: {Reason}", ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            logger.LogWarning("Metrics history not started: {Reason}", ex.Message);
        }
    }
}
