using System.Text.Json;
using FileVault.Core.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Core.Scanning;

/// <summary>
/// Carries scan progress and cancel requests between app instances over Redis pub/sub (DESIGN invariant 7): every
/// second, each instance publishes its running scans; every instance shows them all and can cancel any. With Redis
/// down, each instance still shows and cancels its own scans.
/// </summary>
public sealed class ScanProgressRelay(
    IConnectionMultiplexer redis, RedisKeys keys, ScanMonitor monitor, TimeProvider time, ILogger<ScanProgressRelay> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly RedisChannel _progressChannel = RedisChannel.Literal(keys.For("scans:progress"));
    private readonly RedisChannel _cancelChannel = RedisChannel.Literal(keys.For("scans:cancel"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        monitor.RemoteCancel = PublishCancelAsync;
        var subscribed = false;
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                if (!subscribed)
                {
                    var subscriber = redis.GetSubscriber();
                    await subscriber.SubscribeAsync(_progressChannel, (_, message) => OnProgress(message));
                    await subscriber.SubscribeAsync(_cancelChannel, (_, message) => OnCancel(message));
                    subscribed = true;
                }

                var running = monitor.LocalRunning;
                if (running.Count > 0)
                {
                    var message = JsonSerializer.Serialize(new ProgressMessage(monitor.InstanceId, running));
                    await redis.GetSubscriber().PublishAsync(_progressChannel, message);
                }

                monitor.ExpireRemote(time.GetUtcNow() - (3 * Interval));
            }
            catch (RedisException ex)
            {
                logger.LogDebug("Scan progress not relayed: {Reason}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void OnProgress(RedisValue message)
    {
        var progress = JsonSerializer.Deserialize<ProgressMessage>(message.ToString());
        if (progress is not null && progress.InstanceId != monitor.InstanceId)
        {
            monitor.UpdateRemote(progress.InstanceId, progress.Running, time.GetUtcNow());
        }
    }

    private void OnCancel(RedisValue message)
    {
        if (int.TryParse(message.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var rootId) && monitor.CancelRoot(rootId))
        {
            logger.LogInformation("Cancelled the scan of root {RootId} at another instance's request", rootId);
        }
    }

    private async Task<bool> PublishCancelAsync(int rootId)
    {
        try
        {
            return await redis.GetSubscriber().PublishAsync(_cancelChannel, rootId.ToString(System.Globalization.CultureInfo.InvariantCulture)) > 0;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    private sealed record ProgressMessage(string InstanceId, IReadOnlyList<ScanProgressSnapshot> Running);
}
