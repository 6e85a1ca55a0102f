using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Devices;

public sealed record DeviceUsage(int DeviceId, string AssetTag, string Manufacturer, string Model, int Rentals, double TotalDays, int OverdueCount);

public sealed record BorrowerUsage(Guid? UserId, string BorrowerName, string? Department, int Rentals, double TotalDays, int OverdueCount);

public sealed record UsageSummary(DateOnly From, DateOnly To, IReadOnlyList<DeviceUsage> ByDevice, IReadOnlyList<BorrowerUsage> ByBorrower);

/// <summary>
/// Usage over a date range (inclusive, days of the reader's time zone): every rental that overlaps the range counts once,
/// its days are the part inside the range, and it is overdue if it came back late or is still out past its due time.
/// </summary>
public sealed class UsageReport(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time)
{
    public const int MaxDays = 3660;

    public static readonly Error InvalidRange = new("report.range_invalid", "The range must start on or before its end and span at most ten years.");

    /// <summary>Usage per device and per borrower over whole days; for desk staff and admins only.</summary>
    /// <param name="zone">The reader's zone: its midnights are the report's day boundaries.</param>
    public async Task<Result<UsageSummary>> BuildAsync(DeskActor actor, DateOnly from, DateOnly to, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(zone);
        if (!actor.RunsDesk)
        {
            return DeviceLifecycle.Errors.Forbidden;
        }

        if (to < from || to.DayNumber - from.DayNumber > MaxDays)
        {
            return InvalidRange;
        }

        var start = TimeZones.StartOfDay(from, zone);
        var end = TimeZones.StartOfDay(to.AddDays(1), zone);
        var now = time.GetUtcNow();

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rentals = await (
                from r in db.Rentals.AsNoTracking()
                join d in db.Devices on r.DeviceId equals d.Id
                where r.StartedAt < end && (r.ReturnedAt == null || r.ReturnedAt > start)
                select new { r.DeviceId, d.AssetTag, d.Manufacturer, d.Model, r.BorrowerUserId, r.BorrowerName, r.BorrowerDepartment, r.StartedAt, r.DueAt, r.ReturnedAt })
            .ToListAsync(cancellationToken);

        var measured = rentals.Select(r =>
        {
            var until = r.ReturnedAt ?? now;
            var inside = Min(until, end) - Max(r.StartedAt, start);
            return new
            {
                Rental = r,
                Days = Math.Max(0, inside.TotalDays),
                Overdue = r.ReturnedAt is { } returned ? returned > r.DueAt : now > r.DueAt,
            };
        }).ToList();

        var byDevice = measured
            .GroupBy(m => m.Rental.DeviceId)
            .Select(g => new DeviceUsage(
                g.Key, g.First().Rental.AssetTag, g.First().Rental.Manufacturer, g.First().Rental.Model,
                g.Count(), Math.Round(g.Sum(m => m.Days), 1), g.Count(m => m.Overdue)))
            .OrderBy(u => u.AssetTag, StringComparer.Ordinal)
            .ToList();

        // An account is one borrower whatever name it had; people without one are told apart by name and department.
        var byBorrower = measured
            .GroupBy(m => m.Rental.BorrowerUserId is { } id ? (Key: id.ToString(), Department: (string?)null) : (Key: "name:" + m.Rental.BorrowerName, Department: m.Rental.BorrowerDepartment))
            .Select(g =>
            {
                var latest = g.MaxBy(m => m.Rental.StartedAt)!.Rental;
                return new BorrowerUsage(
                    latest.BorrowerUserId, latest.BorrowerName, latest.BorrowerDepartment,
                    g.Count(), Math.Round(g.Sum(m => m.Days), 1), g.Count(m => m.Overdue));
            })
            .OrderBy(u => u.BorrowerName, StringComparer.Ordinal)
            .ThenBy(u => u.Department, StringComparer.Ordinal)
            .ToList();

        return new UsageSummary(from, to, byDevice, byBorrower);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
