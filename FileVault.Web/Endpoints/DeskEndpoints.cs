using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Devices;
using Microsoft.Extensions.Localization;

namespace FileVault.Web.Endpoints;

/// <summary>What the device desk serves over plain HTTP: CSV downloads of its lists and device photos.</summary>
public static class DeskEndpoints
{
    public const string CsvContentType = "text/csv; charset=utf-8";

    public static IEndpointRouteBuilder MapDeskEndpoints(this IEndpointRouteBuilder app)
    {
        var export = app.MapGroup("/desk/export").RequireAuthorization(Policies.Desk).AddEndpointFilter(ReaderZone);

        export.MapGet("/devices.csv", async (
                string? search, DeviceStatus? status, bool? overdue, DeviceSort? sort, bool? desc,
                ClaimsPrincipal user, DeviceQueries queries, DeskCsv csv, CancellationToken cancellationToken) =>
            {
                var filter = new DeviceFilter(search, status, overdue ?? false, sort ?? DeviceSort.AssetTag, desc ?? false);
                var page = await queries.ListAsync(DeskActor.From(user), filter, 0, DeviceQueries.ExportLimit, cancellationToken);
                return await CsvAsync(csv.Devices(), page.Rows, csv.FileName("Csv_Devices"), cancellationToken);
            })
            .WithName("ExportDevices").WithSummary("The device list with the same search, filters and sort as the desk page.");

        export.MapGet("/overdue.csv", async (ClaimsPrincipal user, DeviceQueries queries, DeskCsv csv, CancellationToken cancellationToken) =>
                await CsvAsync(csv.Rentals(), await queries.OverdueAsync(DeskActor.From(user), cancellationToken), csv.FileName("Csv_Overdue"), cancellationToken))
            .WithName("ExportOverdue").WithSummary("Open rentals past their due time.");

        export.MapGet("/devices/{id:int}/history.csv", async (
                int id, ClaimsPrincipal user, DeviceQueries queries, DeskCsv csv, CancellationToken cancellationToken) =>
                await CsvAsync(csv.History(), await queries.HistoryAsync(DeskActor.From(user), id, DeviceQueries.ExportLimit, cancellationToken),
                    csv.FileName("Csv_History"), cancellationToken))
            .WithName("ExportDeviceHistory").WithSummary("Everything that happened to one device.");

        export.MapGet("/devices/{id:int}/rentals.csv", async (
                int id, ClaimsPrincipal user, DeviceQueries queries, DeskCsv csv, CancellationToken cancellationToken) =>
                await CsvAsync(csv.Rentals(), await queries.RentalsOfDeviceAsync(DeskActor.From(user), id, DeviceQueries.ExportLimit, cancellationToken),
                    csv.FileName("Csv_Rentals"), cancellationToken))
            .WithName("ExportDeviceRentals").WithSummary("The rentals of one device.");

        export.MapGet("/report.csv", async (
                DateOnly from, DateOnly to, string? by, ClaimsPrincipal user, UsageReport report, DeskCsv csv, IStringLocalizer<SharedResource> l,
                CancellationToken cancellationToken) =>
            {
                var summary = await report.BuildAsync(DeskActor.From(user), from, to, csv.Zone, cancellationToken);
                if (!summary.IsSuccess)
                {
                    return Problem(summary.Error!, l);
                }

                return string.Equals(by, "borrower", StringComparison.OrdinalIgnoreCase)
                    ? await CsvAsync(csv.UsageByBorrower(), summary.Value.ByBorrower, csv.FileName("Csv_ReportBorrowers"), cancellationToken)
                    : await CsvAsync(csv.UsageByDevice(), summary.Value.ByDevice, csv.FileName("Csv_ReportDevices"), cancellationToken);
            })
            .WithName("ExportUsageReport").WithSummary("Usage per device (by=device) or per borrower (by=borrower) over a date range.");

        app.MapGet("/devices/export/my-rentals.csv", async (ClaimsPrincipal user, DeviceQueries queries, DeskCsv csv, CancellationToken cancellationToken) =>
                await CsvAsync(csv.Rentals(), await queries.MyRentalsAsync(DeskActor.From(user), DeviceQueries.ExportLimit, cancellationToken),
                    csv.FileName("Csv_MyRentals"), cancellationToken))
            .RequireAuthorization()
            .AddEndpointFilter(ReaderZone)
            .WithName("ExportMyRentals").WithSummary("The signed-in user's own rentals.");

        // The desk, or whoever has the device right now; anyone else gets 404, as if there were no photo (R-AUTH-1).
        app.MapGet("/api/v1/devices/{id:int}/photo", async (int id, HttpContext context, DeviceQueries queries, CancellationToken cancellationToken) =>
            {
                var photo = await queries.PhotoAsync(DeskActor.From(context.User), id, cancellationToken);
                if (photo is null)
                {
                    return Results.NotFound();
                }

                context.Response.Headers.CacheControl = "private, no-cache";
                return Results.File(photo.Bytes, photo.ContentType, lastModified: photo.UpdatedAt);
            })
            .RequireAuthorization()
            .WithName("DevicePhoto").WithSummary("A device's photo (JPEG, PNG or WebP).");

        return app;
    }

    /// <summary>Every export's times and days are on the clock of <c>tz</c> (an IANA id; UTC without one); an unknown zone is 400.</summary>
    private static async ValueTask<object?> ReaderZone(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var zone = TimeZones.Find(http.Request.Query["tz"].ToString());
        if (!zone.IsSuccess)
        {
            return Problem(zone.Error!, http.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>());
        }

        http.RequestServices.GetRequiredService<DeskCsv>().Zone = zone.Value;
        return await next(context);
    }

    private static async Task<IResult> CsvAsync<T>(
        IReadOnlyList<CsvColumn<T>> columns, IEnumerable<T> rows, string fileName, CancellationToken cancellationToken)
    {
        var bytes = await CsvExport.ToBytesAsync(columns, rows, cancellationToken);
        // Results.File writes filename (ASCII fallback) and filename* (RFC 5987, UTF-8) for the Korean name.
        return Results.File(bytes, CsvContentType, fileName);
    }

    private static IResult Problem(Error error, IStringLocalizer<SharedResource> l) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: l["Error_" + error.Code],
            detail: error.Message, extensions: new Dictionary<string, object?> { ["code"] = error.Code });
}
