using System.Globalization;
using FileVault.Core;
using FileVault.Core.Devices;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Endpoints;

/// <summary>
/// The columns of every exported desk list, with headers in the reader's language and times on the reader's clock:
/// <see cref="Zone"/> is the link's <c>tz</c> (the page adds its browser's zone; UTC without one), set per request by
/// <see cref="DeskEndpoints"/>.
/// </summary>
public sealed class DeskCsv(IStringLocalizer<SharedResource> l, TimeProvider time)
{
    public TimeZoneInfo Zone { get; set; } = TimeZoneInfo.Utc;

    public IReadOnlyList<CsvColumn<DeviceRow>> Devices() =>
    [
        new(l["Devices_AssetTag"], d => d.AssetTag),
        new(l["Devices_Manufacturer"], d => d.Manufacturer),
        new(l["Devices_Model"], d => d.Model),
        new(l["Devices_Os"], d => d.OsName),
        new(l["Devices_OsVersion"], d => d.OsVersion),
        new(l["Devices_Serial"], d => d.SerialNumber),
        new(l["Devices_PurchaseDate"], d => d.PurchaseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        new(l["Devices_Status"], d => Status(d.Status)),
        new(l["Devices_Borrower"], d => d.Rental?.BorrowerName),
        new(l["Devices_Department"], d => d.Rental?.BorrowerDepartment),
        new(l["Devices_DueAt"], d => Time(d.Rental?.DueAt)),
        new(l["Devices_Overdue"], d => d.IsOverdue ? l["Devices_Yes"] : ""),
        new(l["Devices_Notes"], d => d.Notes),
    ];

    public IReadOnlyList<CsvColumn<RentalRow>> Rentals() =>
    [
        new(l["Devices_AssetTag"], r => r.AssetTag),
        new(l["Devices_Model"], r => $"{r.Manufacturer} {r.Model}"),
        new(l["Devices_Borrower"], r => r.BorrowerName),
        new(l["Devices_Department"], r => r.BorrowerDepartment),
        new(l["Devices_Purpose"], r => r.Purpose),
        new(l["Devices_StartedAt"], r => Time(r.StartedAt)),
        new(l["Devices_DueAt"], r => Time(r.DueAt)),
        new(l["Devices_ReturnedAt"], r => Time(r.ReturnedAt)),
        new(l["Devices_Overdue"], r => r.IsOverdue ? l["Devices_Yes"] : ""),
        new(l["Devices_CheckedOutBy"], r => r.CheckedOutBy),
        new(l["Devices_CheckedInBy"], r => r.CheckedInBy),
        new(l["Devices_Condition"], r => r.ReturnCondition),
    ];

    public IReadOnlyList<CsvColumn<DeviceEventRow>> History() =>
    [
        new(l["Devices_At"], e => Time(e.At)),
        new(l["Devices_Event"], e => l["DeviceEvent_" + e.Kind]),
        new(l["Devices_Actor"], e => e.Actor),
        new(l["Devices_Detail"], e => e.Detail),
    ];

    public IReadOnlyList<CsvColumn<DeviceUsage>> UsageByDevice() =>
    [
        new(l["Devices_AssetTag"], u => u.AssetTag),
        new(l["Devices_Manufacturer"], u => u.Manufacturer),
        new(l["Devices_Model"], u => u.Model),
        new(l["Report_Rentals"], u => u.Rentals.ToString(CultureInfo.InvariantCulture)),
        new(l["Report_TotalDays"], u => u.TotalDays.ToString("0.0", CultureInfo.InvariantCulture)),
        new(l["Report_OverdueCount"], u => u.OverdueCount.ToString(CultureInfo.InvariantCulture)),
    ];

    public IReadOnlyList<CsvColumn<BorrowerUsage>> UsageByBorrower() =>
    [
        new(l["Devices_Borrower"], u => u.BorrowerName),
        new(l["Devices_Department"], u => u.Department),
        new(l["Report_Rentals"], u => u.Rentals.ToString(CultureInfo.InvariantCulture)),
        new(l["Report_TotalDays"], u => u.TotalDays.ToString("0.0", CultureInfo.InvariantCulture)),
        new(l["Report_OverdueCount"], u => u.OverdueCount.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>A download name in the reader's language with today's date, e.g. 장비목록_2026-11-25.csv.</summary>
    public string FileName(string key) =>
        $"{l[key]}_{TimeZones.DayOf(time.GetUtcNow(), Zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.csv";

    private string Status(DeviceStatus status) => l["DeviceStatus_" + status];

    private string? Time(DateTimeOffset? value) =>
        value is { } v ? TimeZoneInfo.ConvertTime(v, Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : null;
}
