using Cronos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FileVault.Core.Cleanup;

/// <summary>A sweep's cron as its feature schedules it (registered beside the schedule, from the same setting).</summary>
public sealed record SweepCron(string Sweep, string Cron);

/// <summary>A sweep and when it next runs (UTC cron).</summary>
public sealed record ScheduledSweep(string Sweep, string Cron, DateTimeOffset? Next);

/// <summary>
/// Every cleanup sweep's schedule, so the dashboard can say when each runs next, also before it ever ran. Features
/// register their sweep's cron with <see cref="CleanupScheduleExtensions.AddSweepCron{TOptions}"/>.
/// </summary>
public sealed class CleanupSchedule(IEnumerable<SweepCron> sweeps)
{
    public IReadOnlyList<ScheduledSweep> NextRuns(DateTimeOffset now) =>
        [.. sweeps.OrderBy(s => s.Sweep, StringComparer.Ordinal).Select(s => new ScheduledSweep(s.Sweep, s.Cron,
            CronExpression.Parse(s.Cron).GetNextOccurrence(now.UtcDateTime, TimeZoneInfo.Utc) is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null))];
}

public static class CleanupScheduleExtensions
{
    /// <summary>Lists a sweep on the dashboard with the cron its schedule reads from <typeparamref name="TOptions"/>.</summary>
    public static IServiceCollection AddSweepCron<TOptions>(this IServiceCollection services, string sweep, Func<TOptions, string> cron)
        where TOptions : class =>
        services.AddSingleton(sp => new SweepCron(sweep, cron(sp.GetRequiredService<IOptions<TOptions>>().Value)));
}
