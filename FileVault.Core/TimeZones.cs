namespace FileVault.Core;

/// <summary>
/// Days as a person sees them: the page passes the zone of the reader's browser (an IANA id such as
/// <c>Asia/Seoul</c>), never the server's, so "from 2026-12-01" means that reader's midnight wherever the server runs.
/// Every day boundary FileVault computes (search date filters, the device usage report) comes from here.
/// </summary>
public static class TimeZones
{
    public static readonly Error Unknown = new("timezone.unknown", "The time zone is not a known IANA zone id (for example Asia/Seoul or UTC).");

    /// <summary>The zone named by an IANA id; an empty id is UTC, an unknown one is an error.</summary>
    public static Result<TimeZoneInfo> Find(string? ianaId)
    {
        if (string.IsNullOrWhiteSpace(ianaId))
        {
            return TimeZoneInfo.Utc;
        }

        var id = ianaId.Trim();
        // Only what a browser reports: letters, digits and "/_+-"; nothing that could reach a path on disk.
        if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '+' or '-') || id.StartsWith('/') || id.Contains("..", StringComparison.Ordinal))
        {
            return Unknown;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return Unknown;
        }
        catch (InvalidTimeZoneException)
        {
            return Unknown;
        }
    }

    /// <summary>
    /// The first instant of <paramref name="day"/> in <paramref name="zone"/>. Where the clocks jump over midnight
    /// (a spring-forward at 00:00) the day starts when they land; where midnight happens twice, at the first one.
    /// </summary>
    public static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(local))
        {
            var earliest = zone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local, earliest).ToUniversalTime();
        }

        if (zone.IsInvalidTime(local))
        {
            // The skipped hour(s): the offset before the jump turns local midnight into the instant the clocks jump.
            var before = zone.GetUtcOffset(local.AddDays(-1).AddHours(12));
            return new DateTimeOffset(local, before).ToUniversalTime();
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The day <paramref name="instant"/> falls on for a reader in <paramref name="zone"/>.</summary>
    public static DateOnly DayOf(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
    }

    /// <summary>Whether <paramref name="instant"/> is exactly where a day of <paramref name="zone"/> starts.</summary>
    public static bool IsStartOfDay(DateTimeOffset instant, TimeZoneInfo zone) =>
        StartOfDay(DayOf(instant, zone), zone) == instant;
}
