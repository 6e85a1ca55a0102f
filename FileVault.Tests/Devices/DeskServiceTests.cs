using FileVault.Core.Devices;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace FileVault.Tests.Devices;

public sealed class DeskServiceTests : IAsyncLifetime
{
    private DeskHarness _desk = default!;

    public async Task InitializeAsync() => _desk = await DeskHarness.CreateAsync();

    public async Task DisposeAsync() => await _desk.DisposeAsync();

    [Theory]
    [InlineData(DeviceStatus.Available, DeviceAction.CheckOut, "Rented")]
    [InlineData(DeviceStatus.Rented, DeviceAction.CheckOut, "device.already_rented")]
    [InlineData(DeviceStatus.InRepair, DeviceAction.CheckOut, "device.in_repair")]
    [InlineData(DeviceStatus.Retired, DeviceAction.CheckOut, "device.retired")]
    [InlineData(DeviceStatus.Rented, DeviceAction.CheckIn, "Available")]
    [InlineData(DeviceStatus.Rented, DeviceAction.CheckInToRepair, "InRepair")]
    [InlineData(DeviceStatus.Available, DeviceAction.CheckIn, "device.not_rented")]
    [InlineData(DeviceStatus.InRepair, DeviceAction.CheckIn, "device.not_rented")]
    [InlineData(DeviceStatus.Retired, DeviceAction.CheckIn, "device.retired")]
    [InlineData(DeviceStatus.Available, DeviceAction.SendToRepair, "InRepair")]
    [InlineData(DeviceStatus.InRepair, DeviceAction.SendToRepair, "device.in_repair")]
    [InlineData(DeviceStatus.Rented, DeviceAction.SendToRepair, "device.rented")]
    [InlineData(DeviceStatus.InRepair, DeviceAction.ReturnFromRepair, "Available")]
    [InlineData(DeviceStatus.Available, DeviceAction.ReturnFromRepair, "device.not_in_repair")]
    [InlineData(DeviceStatus.Available, DeviceAction.Retire, "Retired")]
    [InlineData(DeviceStatus.InRepair, DeviceAction.Retire, "Retired")]
    [InlineData(DeviceStatus.Rented, DeviceAction.Retire, "device.rented")]
    [InlineData(DeviceStatus.Retired, DeviceAction.Retire, "device.retired")]
    [InlineData(DeviceStatus.Retired, DeviceAction.ReturnFromRepair, "device.retired")]
    public void Lifecycle_allows_only_the_desk_transitions(DeviceStatus from, DeviceAction action, string expected)
    {
        var next = DeviceLifecycle.Next(from, action);

        Assert.Equal(expected, next.IsSuccess ? next.Value.ToString() : next.Error!.Code);
    }

    [Fact]
    public async Task Check_out_then_check_in_records_the_rental_status_and_history()
    {
        var id = await _desk.RegisterAsync("FV-0001");
        var rentalId = await _desk.CheckOutAsync(" fv-0001 ", "김민수", "영업부");

        var rented = await _desk.Queries.GetAsync(DeskHarness.Desk, id, default);
        Assert.Equal(DeviceStatus.Rented, rented!.Status);
        Assert.Equal("김민수", rented.Rental!.BorrowerName);
        Assert.Equal(rentalId, rented.Rental.Id);

        _desk.Time.Advance(TimeSpan.FromDays(2));
        var checkIn = await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest("FV-0001", "화면 긁힘 없음", NeedsRepair: false), default);

        Assert.True(checkIn.IsSuccess, checkIn.Error?.ToString());
        Assert.Equal(rentalId, checkIn.Value);
        var back = await _desk.Queries.GetAsync(DeskHarness.Desk, id, default);
        Assert.Equal(DeviceStatus.Available, back!.Status);
        Assert.Null(back.Rental);
        var rental = Assert.Single(await _desk.Queries.RentalsOfDeviceAsync(DeskHarness.Desk, id, 10, default));
        Assert.Equal(_desk.Time.GetUtcNow(), rental.ReturnedAt);
        Assert.Equal("화면 긁힘 없음", rental.ReturnCondition);
        Assert.Equal(
            [DeviceEventKind.CheckedIn, DeviceEventKind.CheckedOut, DeviceEventKind.Registered],
            (await _desk.Queries.HistoryAsync(DeskHarness.Desk, id, 10, default)).Select(e => e.Kind));
    }

    [Fact]
    public async Task Check_in_of_a_device_that_is_not_rented_is_refused_and_changes_nothing()
    {
        var id = await _desk.RegisterAsync("FV-0002");

        var result = await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest("FV-0002", null, false), default);

        Assert.Equal("device.not_rented", result.Error?.Code);
        Assert.Equal(DeviceStatus.Available, (await _desk.Queries.GetAsync(DeskHarness.Desk, id, default))!.Status);
        Assert.Single(await _desk.Queries.HistoryAsync(DeskHarness.Desk, id, 10, default));
    }

    [Fact]
    public async Task Check_out_of_a_rented_device_is_refused()
    {
        await _desk.RegisterAsync("FV-0003");
        await _desk.CheckOutAsync("FV-0003", "이영희");

        var second = await _desk.Desk_.CheckOutAsync(DeskHarness.Desk,
            new CheckOutRequest("FV-0003", new Borrower(null, "박철수", null), null, _desk.Time.GetUtcNow().AddDays(1)), default);

        Assert.Equal("device.already_rented", second.Error?.Code);
    }

    [Fact]
    public async Task Retiring_a_rented_device_is_refused_until_it_is_checked_in()
    {
        var id = await _desk.RegisterAsync("FV-0004");
        await _desk.CheckOutAsync("FV-0004", "최지우");

        var refused = await _desk.Desk_.ChangeStatusAsync(DeskHarness.Admin, id, DeviceAction.Retire, null, default);
        Assert.Equal("device.rented", refused.Error?.Code);
        Assert.Equal(DeviceStatus.Rented, (await _desk.Queries.GetAsync(DeskHarness.Desk, id, default))!.Status);

        Assert.True((await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest("FV-0004", null, false), default)).IsSuccess);
        var retired = await _desk.Desk_.ChangeStatusAsync(DeskHarness.Admin, id, DeviceAction.Retire, "배터리 불량", default);
        Assert.Equal(DeviceStatus.Retired, retired.Value);

        var checkOut = await _desk.Desk_.CheckOutAsync(DeskHarness.Desk,
            new CheckOutRequest("FV-0004", new Borrower(null, "최지우", null), null, _desk.Time.GetUtcNow().AddDays(1)), default);
        Assert.Equal("device.retired", checkOut.Error?.Code);
    }

    [Fact]
    public async Task Check_in_with_damage_sends_the_device_to_repair()
    {
        var id = await _desk.RegisterAsync("FV-0005");
        await _desk.CheckOutAsync("FV-0005", "정하늘");

        var result = await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest("FV-0005", "액정 파손", NeedsRepair: true), default);

        Assert.True(result.IsSuccess);
        Assert.Equal(DeviceStatus.InRepair, (await _desk.Queries.GetAsync(DeskHarness.Desk, id, default))!.Status);
        var tiles = await _desk.Queries.TilesAsync(DeskHarness.Desk, default);
        Assert.Equal(new DeskTiles(Available: 0, Rented: 0, Overdue: 0, InRepair: 1), tiles);
    }

    [Fact]
    public async Task Due_date_must_be_after_the_check_out()
    {
        await _desk.RegisterAsync("FV-0006");

        var result = await _desk.Desk_.CheckOutAsync(DeskHarness.Desk,
            new CheckOutRequest("FV-0006", new Borrower(null, "김민수", null), null, _desk.Time.GetUtcNow().AddMinutes(-1)), default);

        Assert.Equal("rental.due_before_start", result.Error?.Code);
    }

    [Fact]
    public async Task Unknown_tags_missing_borrowers_and_disabled_accounts_are_refused()
    {
        await _desk.RegisterAsync("FV-0007");
        var due = _desk.Time.GetUtcNow().AddDays(1);

        Assert.Equal("device.not_found", (await _desk.Desk_.CheckOutAsync(DeskHarness.Desk, new CheckOutRequest("NOPE", new Borrower(null, "김", null), null, due), default)).Error?.Code);
        Assert.Equal("rental.borrower_required", (await _desk.Desk_.CheckOutAsync(DeskHarness.Desk, new CheckOutRequest("FV-0007", new Borrower(null, " ", null), null, due), default)).Error?.Code);
        Assert.Equal("rental.borrower_not_found", (await _desk.Desk_.CheckOutAsync(DeskHarness.Desk, new CheckOutRequest("FV-0007", new Borrower(Guid.NewGuid(), null, null), null, due), default)).Error?.Code);
        Assert.Equal("device.not_found", (await _desk.Desk_.CheckInAsync(DeskHarness.Desk, new CheckInRequest("NOPE", null, false), default)).Error?.Code);
    }

    [Fact]
    public async Task Roles_decide_who_runs_the_desk_and_who_manages_devices()
    {
        var id = await _desk.RegisterAsync("FV-0008");
        var input = new DeviceInput("FV-0009", "Apple", "iPhone 15", "iOS", "17", null, null, null);
        var due = _desk.Time.GetUtcNow().AddDays(1);

        Assert.Equal("desk.forbidden", (await _desk.Desk_.RegisterAsync(DeskHarness.Desk, input, default)).Error?.Code);
        Assert.Equal("desk.forbidden", (await _desk.Desk_.ChangeStatusAsync(DeskHarness.Desk, id, DeviceAction.Retire, null, default)).Error?.Code);
        Assert.Equal("desk.forbidden", (await _desk.Desk_.CheckOutAsync(DeskHarness.Employee, new CheckOutRequest("FV-0008", new Borrower(null, "나", null), null, due), default)).Error?.Code);
        Assert.True((await _desk.Desk_.ChangeStatusAsync(DeskHarness.Desk, id, DeviceAction.SendToRepair, null, default)).IsSuccess);
    }

    [Fact]
    public async Task Asset_tags_are_unique_whatever_their_case()
    {
        var id = await _desk.RegisterAsync("FV-0010");
        await _desk.RegisterAsync("FV-0011");

        var duplicate = await _desk.Desk_.RegisterAsync(DeskHarness.Admin, new DeviceInput("fv-0010", "Apple", "iPad", null, null, null, null, null), default);
        var renamed = await _desk.Desk_.UpdateAsync(DeskHarness.Admin, id, new DeviceInput("FV-0011", "Samsung", "Galaxy S24", null, null, null, null, null), default);

        Assert.Equal("device.asset_tag_taken", duplicate.Error?.Code);
        Assert.Equal("device.asset_tag_taken", renamed.Error?.Code);
        Assert.Equal("FV-0010", (await _desk.Queries.GetAsync(DeskHarness.Desk, id, default))!.AssetTag);
    }

    [Fact]
    public async Task The_database_refuses_a_second_open_rental_even_without_the_service()
    {
        var id = await _desk.RegisterAsync("FV-0012");
        await _desk.CheckOutAsync("FV-0012", "김민수");
        await using var db = _desk.Database.CreateDbContext();

        var insert = () => db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO rentals (device_id, borrower_name, started_at, due_at, checked_out_by) VALUES ({id}, 'x', now(), now() + interval '1 day', 'sql')");

        var error = await Assert.ThrowsAsync<PostgresException>(insert);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal("ux_rentals_one_open_per_device", error.ConstraintName);
    }

    [Fact]
    public async Task Overdue_rentals_show_in_tiles_list_and_filter()
    {
        await _desk.RegisterAsync("FV-0013");
        await _desk.RegisterAsync("FV-0014");
        await _desk.RegisterAsync("FV-0015");
        await _desk.CheckOutAsync("FV-0013", "김민수", dueIn: TimeSpan.FromDays(1));
        await _desk.CheckOutAsync("FV-0014", "이영희", dueIn: TimeSpan.FromDays(10));

        _desk.Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(new DeskTiles(Available: 1, Rented: 2, Overdue: 1, InRepair: 0), await _desk.Queries.TilesAsync(DeskHarness.Desk, default));
        var overdue = Assert.Single(await _desk.Queries.OverdueAsync(DeskHarness.Desk, default));
        Assert.Equal("FV-0013", overdue.AssetTag);
        var list = await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(), 0, 50, default);
        Assert.Equal(["FV-0013"], list.Rows.Where(r => r.IsOverdue).Select(r => r.AssetTag));
        var filtered = await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(OverdueOnly: true), 0, 50, default);
        Assert.Equal(["FV-0013"], filtered.Rows.Select(r => r.AssetTag));
    }

    [Fact]
    public async Task An_employee_reads_nothing_of_the_desk_and_only_their_own_rentals()
    {
        var employee = await _desk.CreateUserAsync("borrower@filevault.test", "박지훈");
        var actor = DeskHarness.Employee with { UserId = employee.Id };
        var id = await _desk.RegisterAsync("FV-0020");
        await _desk.RegisterAsync("FV-0021");
        var mine = await _desk.Desk_.CheckOutAsync(DeskHarness.Desk,
            new CheckOutRequest("FV-0020", new Borrower(employee.Id, null, null), "출장", _desk.Time.GetUtcNow().AddDays(1)), default);
        Assert.True(mine.IsSuccess, mine.Error?.ToString());
        await _desk.CheckOutAsync("FV-0021", "김민수", dueIn: TimeSpan.FromHours(1));
        _desk.Time.Advance(TimeSpan.FromHours(2));

        // Core answers as if there were no desk, whatever page or endpoint asks (R-AUTH-2).
        Assert.Empty((await _desk.Queries.ListAsync(actor, new DeviceFilter(), 0, 50, default)).Rows);
        Assert.Null(await _desk.Queries.GetAsync(actor, id, default));
        Assert.Null(await _desk.Queries.FindByTagAsync(actor, "FV-0020", default));
        Assert.Equal(new DeskTiles(0, 0, 0, 0), await _desk.Queries.TilesAsync(actor, default));
        Assert.Empty(await _desk.Queries.OverdueAsync(actor, default));
        Assert.Empty(await _desk.Queries.HistoryAsync(actor, id, 10, default));
        Assert.Empty(await _desk.Queries.RentalsOfDeviceAsync(actor, id, 10, default));
        Assert.Empty(await _desk.Queries.FindBorrowersAsync(actor, "", 10, default));
        Assert.Equal("desk.forbidden", (await _desk.Report.BuildAsync(actor, new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31), TimeZoneInfo.Utc, default)).Error?.Code);

        var own = Assert.Single(await _desk.Queries.MyRentalsAsync(actor, 10, default));
        Assert.Equal("FV-0020", own.AssetTag);
        // The desk itself still sees everything.
        Assert.Equal(2, (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(), 0, 50, default)).Total);
        Assert.NotEmpty(await _desk.Queries.FindBorrowersAsync(DeskHarness.Desk, "박지훈", 10, default));
    }

    [Fact]
    public async Task Device_list_searches_filters_and_sorts()
    {
        await _desk.RegisterAsync("FV-0102", "Galaxy A55");
        await _desk.RegisterAsync("FV-0101", "Galaxy S24");
        await _desk.RegisterAsync("FV-0103", "Galaxy_Tab");
        await _desk.CheckOutAsync("FV-0101", "김민수");

        Assert.Equal(["FV-0101", "FV-0102", "FV-0103"], (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(), 0, 50, default)).Rows.Select(r => r.AssetTag));
        Assert.Equal(["FV-0103", "FV-0102", "FV-0101"], (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(Descending: true), 0, 50, default)).Rows.Select(r => r.AssetTag));
        Assert.Equal(["FV-0101"], (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(Search: "민수"), 0, 50, default)).Rows.Select(r => r.AssetTag));
        Assert.Equal(["FV-0103"], (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(Search: "y_t"), 0, 50, default)).Rows.Select(r => r.AssetTag));
        Assert.Equal(["FV-0102", "FV-0103"], (await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(Status: DeviceStatus.Available), 0, 50, default)).Rows.Select(r => r.AssetTag));
        var page = await _desk.Queries.ListAsync(DeskHarness.Desk, new DeviceFilter(Sort: DeviceSort.Model), 1, 1, default);
        Assert.Equal(3, page.Total);
        Assert.Equal(["FV-0101"], page.Rows.Select(r => r.AssetTag));
    }

    [Fact]
    public async Task Employees_see_their_own_rentals_and_the_photo_of_the_device_they_hold()
    {
        var employee = await _desk.CreateUserAsync("minsu@filevault.test", "김민수");
        var id = await _desk.RegisterAsync("FV-0201");
        var png = (byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
        Assert.True((await _desk.Desk_.SetPhotoAsync(DeskHarness.Admin, id, png, default)).IsSuccess);
        var actor = DeskHarness.Employee with { UserId = employee.Id };
        Assert.Null(await _desk.Queries.PhotoAsync(actor, id, default));

        var result = await _desk.Desk_.CheckOutAsync(DeskHarness.Desk,
            new CheckOutRequest("FV-0201", new Borrower(employee.Id, null, "개발팀"), "출장", _desk.Time.GetUtcNow().AddDays(3)), default);

        Assert.True(result.IsSuccess);
        var mine = Assert.Single(await _desk.Queries.MyRentalsAsync(actor, 10, default));
        Assert.Equal("김민수", mine.BorrowerName);
        Assert.Equal("image/png", (await _desk.Queries.PhotoAsync(actor, id, default))!.ContentType);
        Assert.Empty(await _desk.Queries.MyRentalsAsync(DeskHarness.Employee, 10, default));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50 }, "image/webp")]
    [InlineData(new byte[] { 0x3C, 0x73, 0x76, 0x67 }, "photo.unsupported")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, "photo.unsupported")]
    public void Photos_are_recognised_by_their_magic_bytes(byte[] bytes, string expected)
    {
        var result = DevicePhotoFormat.Detect(bytes);

        Assert.Equal(expected, result.IsSuccess ? result.Value : result.Error!.Code);
    }

    [Fact]
    public void Photos_over_two_megabytes_are_refused()
    {
        var bytes = new byte[DevicePhotoFormat.MaxBytes + 1];
        bytes[0] = 0xFF;
        bytes[1] = 0xD8;
        bytes[2] = 0xFF;

        Assert.Equal("photo.too_large", DevicePhotoFormat.Detect(bytes).Error?.Code);
    }
}
