using Coravel.Invocable;
using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Locks;
using FileVault.Core.Redis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FileVault.Core.Scanning;

/// <summary>What a manual scan request names.</summary>
public sealed record ScanRequest(int RootId, ScanKind Kind, string TriggeredBy);

/// <summary>One scan of one root, queued by an admin (or the CLI); cancellable through <see cref="ScanMonitor"/>.</summary>
public sealed class ScanRootJob(Scanner scanner) : IInvocable, IInvocableWithPayload<ScanRequest>, ICancellableInvocable
{
    public ScanRequest Payload { get; set; } = default!;

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => scanner.RunAsync(Payload.RootId, Payload.Kind, Payload.TriggeredBy, CancellationToken);
}

/// <summary>
/// Scheduled scans of every root, once across all instances: each occurrence is claimed once (ScheduleOccurrences),
/// and a Redis lease held for the whole run keeps a long scan from overlapping the next occurrence's on another instance.
/// </summary>
public abstract class ScheduledScanJob(
    IDbContextFactory<FileVaultDbContext> contexts, IConnectionMultiplexer redis, RedisKeys keys, ScheduleOccurrences occurrences, Scanner scanner,
    ILogger logger)
    : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    protected abstract ScanKind Kind { get; }

    public async Task Invoke()
    {
        RedisLease? lease;
        try
        {
            if (!await occurrences.TryClaimAsync($"scan:{Kind}"))
            {
                logger.LogInformation("Scheduled {Kind} scan skipped: another instance runs this occurrence", Kind);
                return;
            }

            lease = await RedisLease.TryAcquireAsync(redis, keys.For($"schedule:scan:{Kind}"), TimeSpan.FromMinutes(2));
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Scheduled {Kind} scan skipped: Redis is unreachable, so it cannot be run exactly once ({Reason})", Kind, ex.Message);
            return;
        }

        if (lease is null)
        {
            logger.LogInformation("Scheduled {Kind} scan skipped: the previous one is still running", Kind);
            return;
        }

        await using (lease)
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken);
            var roots = await db.StorageRoots.AsNoTracking().Select(r => r.Id).ToListAsync(CancellationToken);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken, lease.Lost);
            foreach (var rootId in roots)
            {
                await scanner.RunAsync(rootId, Kind, "schedule", stop.Token);
            }
        }
    }
}

public sealed class IncrementalScanSchedule(
    IDbContextFactory<FileVaultDbContext> contexts, IConnectionMultiplexer redis, RedisKeys keys, ScheduleOccurrences occurrences, Scanner scanner,
    ILogger<IncrementalScanSchedule> logger)
    : ScheduledScanJob(contexts, redis, keys, occurrences, scanner, logger)
{
    protected override ScanKind Kind => ScanKind.Incremental;
}

public sealed class FullScanSchedule(
    IDbContextFactory<FileVaultDbContext> contexts, IConnectionMultiplexer redis, RedisKeys keys, ScheduleOccurrences occurrences, Scanner scanner,
    ILogger<FullScanSchedule> logger)
    : ScheduledScanJob(contexts, redis, keys, occurrences, scanner, logger)
{
    protected override ScanKind Kind => ScanKind.Full;
}

/// <summary>
/// Every 30 minutes: is each root still the mount we registered? Opens or closes the admin alert. Once across
/// instances (every instance sees the same mounts); with Redis unreachable each instance checks, which is harmless.
/// </summary>
public sealed class MountHealthSchedule(RootHealthService health, ScheduleOccurrences occurrences, ILogger<MountHealthSchedule> logger)
    : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    public async Task Invoke()
    {
        try
        {
            if (!await occurrences.TryClaimAsync("mount-health"))
            {
                return;
            }
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Mount health checked on this instance without the run-once claim: Redis is unreachable ({Reason})", ex.Message);
        }

        await health.CheckAllAsync(AccessSubject.System, CancellationToken);
    }
}
