using System.Text.Json;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Core.Jobs;

/// <summary>A job's state as its owner's pages show it.</summary>
public sealed record JobEvent(long Id, Guid OwnerId, string Type, JobStatus Status, double Progress, string? Text, string? Error)
{
    public static JobEvent From(Job job, JobStatus status) => new(job.Id, job.OwnerId, job.Type, status, job.Progress, job.ProgressText, job.Error);

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>
/// Job progress, live (DESIGN invariant 7): raised in this process for its pages, and carried over Redis pub/sub to
/// the pages of every other instance. With Redis down, pages on the instance running the job still see it.
/// </summary>
public sealed class JobEvents(IConnectionMultiplexer redis, RedisKeys keys, ScanMonitor instance, ILogger<JobEvents> logger) : BackgroundService
{
    private readonly RedisChannel _channel = RedisChannel.Literal(keys.For("jobs:events"));

    /// <summary>Raised on a thread-pool thread for every job event of any instance.</summary>
    public event Action<JobEvent>? Changed;

    /// <summary>Raised when a job was queued anywhere, so the runner claims it without waiting for its poll.</summary>
    internal event Action? Queued;

    public async Task PublishAsync(JobEvent change)
    {
        Raise(change);
        try
        {
            await redis.GetSubscriber().PublishAsync(_channel, JsonSerializer.Serialize(new Message(instance.InstanceId, change, false), JobRun.Json));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogDebug("Job event not relayed: {Reason}", ex.Message);
        }
    }

    /// <summary>Wakes the runners of every instance.</summary>
    public async Task NotifyQueuedAsync()
    {
        Queued?.Invoke();
        try
        {
            await redis.GetSubscriber().PublishAsync(_channel, JsonSerializer.Serialize(new Message(instance.InstanceId, null, true), JobRun.Json));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogDebug("Queued job not announced: {Reason}", ex.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Subscribing fails while Redis is down: keep trying, the local events work meanwhile.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(_channel, (_, message) => OnMessage(message));
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                logger.LogDebug("Job events not subscribed yet: {Reason}", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    private void OnMessage(RedisValue value)
    {
        var message = JsonSerializer.Deserialize<Message>(value.ToString(), JobRun.Json);
        if (message is null || message.Instance == instance.InstanceId)
        {
            return;
        }

        if (message.Queued)
        {
            Queued?.Invoke();
        }

        if (message.Event is { } change)
        {
            Raise(change);
        }
    }

    private void Raise(JobEvent change)
    {
        try
        {
            Changed?.Invoke(change);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A job event listener failed");
        }
    }

    private sealed record Message(string Instance, JobEvent? Event, bool Queued);
}
