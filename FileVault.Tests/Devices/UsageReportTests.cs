using FileVault.Core.Devices;

namespace FileVault.Tests.Devices;

public sealed class UsageReportTests : IAsyncLifetime
{
    private DeskHarness _desk = default!;

    public async Task InitializeAsync() => _desk = await DeskHarness.CreateAsync();

    public async Task DisposeAsync() => await _desk.DisposeAsync();

    [Fact]
    public async Task Report_counts_rentals_days_inside_the_range_and_overdue_per_device_and_borrower()
    {
        // The clock starts on 2026-03-02 09:00 UTC (the harness's local zone is UTC).
        await _desk.RegisterAsync("RPT-1");
        await _desk.RegisterAsync("RPT-2");
        await _desk.CheckOutAsync("RPT-1", "김민수", "영업부", dueIn: TimeSpan.FromDays(1));
        await _desk.CheckOutAsync("RPT-2", "이영희", "개발팀", dueIn: TimeSpan.FromDays(5));
        _desk.Time.Advance(TimeSpan.FromDays(2)); // 03-04 09:00: RPT-1 back a day late
        await CheckInAsync("RPT-1");
        await _desk.CheckOutAsync("RPT-1", "김민수", "영업부", dueIn: TimeSpan.FromDays(1));
        _desk.Time.Advance(TimeSpan.FromHours(12)); // 03-04 21:00: back on time
        await CheckInAsync("RPT-1");

        var report = await _desk.Report.BuildAsync(DeskHarness.Desk, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 3), TimeZoneInfo.Utc, default);

        Assert.True(report.IsSuccess);
        // RPT-1: the first rental, 03-02 09:00 → 03-04 09:00 clipped at 03-04 00:00 = 1.625 days; the second starts after the range.
        Assert.Equal(
            [new DeviceUsage(1, "RPT-1", "Samsung", "Galaxy S24", 1, 1.6, 1), new DeviceUsage(2, "RPT-2", "Samsung", "Galaxy S24", 1, 1.6, 0)],
            report.Value.ByDevice);
        Assert.Equal(
            [new BorrowerUsage(null, "김민수", "영업부", 1, 1.6, 1), new BorrowerUsage(null, "이영희", "개발팀", 1, 1.6, 0)],
            report.Value.ByBorrower);

        var wider = await _desk.Report.BuildAsync(DeskHarness.Desk, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), TimeZoneInfo.Utc, default);
        var minsu = wider.Value.ByBorrower.Single(b => b.BorrowerName == "김민수");
        Assert.Equal((2, 2.5, 1), (minsu.Rentals, minsu.TotalDays, minsu.OverdueCount));
    }

    [Fact]
    public async Task A_range_that_ends_before_it_starts_is_refused()
    {
        var report = await _desk.Report.BuildAsync(DeskHarness.Desk, new DateOnly(2026, 3, 5), new DateOnly(2026, 3, 1), TimeZoneInfo.Utc, default);

        Assert.Equal("report.range_invalid", report.Error?.Code);
    }

    [Fact]
    public async Task Day_boundaries_are_the_readers_midnights()
    {
        // Out from 03-02 09:00 UTC, which is 18:00 in Seoul: of Seoul's 03-02 (03-01 15:00Z to 03-02 15:00Z) it used
        // 6 hours, of UTC's 03-02 (00:00Z to 24:00Z) 15 hours.
        await _desk.RegisterAsync("TZ-1");
        await _desk.CheckOutAsync("TZ-1", "박지훈", "영업부", dueIn: TimeSpan.FromDays(5));
        _desk.Time.Advance(TimeSpan.FromDays(3));
        var day = new DateOnly(2026, 3, 2);

        var seoul = await _desk.Report.BuildAsync(DeskHarness.Desk, day, day, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul"), default);
        var utc = await _desk.Report.BuildAsync(DeskHarness.Desk, day, day, TimeZoneInfo.Utc, default);

        Assert.Equal(0.2, seoul.Value.ByDevice.Single().TotalDays); // 0.25, rounded half to even
        Assert.Equal(0.6, utc.Value.ByDevice.Single().TotalDays); // 0.625
    }

    private async Task CheckInAsync(string tag) =>
        Assert.True((await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest(tag, null, false), default)).IsSuccess);
}
