using FileVault.Core;

namespace FileVault.Tests;

/// <summary>Day boundaries in the reader's zone: the one place search filters and the usage report take them from.</summary>
public sealed class TimeZonesTests
{
    private static TimeZoneInfo Zone(string id) => TimeZones.Find(id).Value;

    private static DateTimeOffset Utc(int month, int day, int hour) => new(2026, month, day, hour, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_day_starts_at_the_readers_midnight_not_the_servers()
    {
        Assert.Equal(Utc(11, 30, 15), TimeZones.StartOfDay(new DateOnly(2026, 12, 1), Zone("Asia/Seoul")));
        Assert.Equal(Utc(12, 1, 0), TimeZones.StartOfDay(new DateOnly(2026, 12, 1), Zone("UTC")));
        Assert.Equal(Utc(12, 1, 5), TimeZones.StartOfDay(new DateOnly(2026, 12, 1), Zone("America/New_York")));
    }

    [Fact]
    public void The_same_instant_near_midnight_falls_on_different_days_in_Seoul_and_UTC()
    {
        var instant = Utc(11, 30, 16); // 01:00 on 12-01 in Seoul, 16:00 on 11-30 in UTC

        Assert.Equal(new DateOnly(2026, 12, 1), TimeZones.DayOf(instant, Zone("Asia/Seoul")));
        Assert.Equal(new DateOnly(2026, 11, 30), TimeZones.DayOf(instant, Zone("UTC")));
        Assert.True(TimeZones.IsStartOfDay(Utc(11, 30, 15), Zone("Asia/Seoul")));
        Assert.False(TimeZones.IsStartOfDay(Utc(11, 30, 15), Zone("UTC")));
    }

    [Fact]
    public void Days_around_a_daylight_saving_change_are_23_and_25_hours_long()
    {
        var newYork = Zone("America/New_York");

        Assert.Equal(TimeSpan.FromHours(23), TimeZones.StartOfDay(new DateOnly(2026, 3, 9), newYork) - TimeZones.StartOfDay(new DateOnly(2026, 3, 8), newYork));
        Assert.Equal(TimeSpan.FromHours(25), TimeZones.StartOfDay(new DateOnly(2026, 11, 2), newYork) - TimeZones.StartOfDay(new DateOnly(2026, 11, 1), newYork));
        Assert.Equal(Utc(3, 9, 4), TimeZones.StartOfDay(new DateOnly(2026, 3, 9), newYork));
    }

    [Fact]
    public void A_midnight_the_clocks_skip_starts_the_day_when_they_land()
    {
        // Santiago jumps from 00:00 to 01:00 on 2026-09-06 (04:00 UTC); Havana on 2026-03-08 (05:00 UTC).
        Assert.Equal(Utc(9, 6, 4), TimeZones.StartOfDay(new DateOnly(2026, 9, 6), Zone("America/Santiago")));
        Assert.Equal(Utc(3, 8, 5), TimeZones.StartOfDay(new DateOnly(2026, 3, 8), Zone("America/Havana")));
        Assert.Equal(new DateOnly(2026, 9, 6), TimeZones.DayOf(Utc(9, 6, 4), Zone("America/Santiago")));
    }

    [Fact]
    public void A_midnight_that_happens_twice_starts_the_day_at_the_first()
    {
        // Havana goes back from 01:00 to 00:00 on 2026-11-01: the first midnight is 00:00 -04:00.
        Assert.Equal(Utc(11, 1, 4), TimeZones.StartOfDay(new DateOnly(2026, 11, 1), Zone("America/Havana")));
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("../../etc/passwd")]
    [InlineData("Asia/Se\noul")]
    [InlineData("/etc/localtime")]
    public void An_unknown_or_hostile_zone_id_is_refused(string id)
    {
        Assert.Equal("timezone.unknown", TimeZones.Find(id).Error?.Code);
    }

    [Fact]
    public void No_zone_is_UTC()
    {
        Assert.Same(TimeZoneInfo.Utc, TimeZones.Find(null).Value);
        Assert.Equal("Asia/Seoul", TimeZones.Find(" Asia/Seoul ").Value.Id);
    }
}
