using System.Security.Claims;
using FileVault.Core;
using FileVault.Core.Access;
using FileVault.Core.Devices;
using Microsoft.AspNetCore.Http.HttpResults;
using Errors = FileVault.Core.Devices.DeviceLifecycle.Errors;

namespace FileVault.Web.Endpoints;

/// <summary>A check-out or check-in done: the rental it opened or closed, and the device as it is now.</summary>
public sealed record RentalChange(long RentalId, DeviceRow? Device);

/// <summary>
/// The device desk over the API, with the desk page's rules: the desk (DeskStaff, Admins, SuperAdmins) lists devices,
/// checks out and in and reads the overdue list and the usage report; registering and editing devices is for Admins
/// (DeskService refuses DeskStaff); anyone signed in reads their own rentals. CSV exports stay at /desk/export.
/// </summary>
public static class DeviceEndpoints
{
    public const int MaxPageSize = 500;

    public static RouteGroupBuilder MapDeviceEndpoints(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("/devices").WithTags("Devices");

        devices.MapGet("/my-rentals", async (ClaimsPrincipal user, DeviceQueries queries, CancellationToken ct) =>
                TypedResults.Ok(await queries.MyRentalsAsync(DeskActor.From(user), 200, ct)))
            .RequireAuthorization()
            .WithName("ListMyRentals").WithSummary("The caller's own rentals: open ones first, then the most recent (at most 200).");

        var desk = devices.MapGroup("").RequireAuthorization(Policies.Desk);

        desk.MapGet("", async (
                ClaimsPrincipal user, DeviceQueries queries, CancellationToken ct, string? search = null, DeviceStatus? status = null, bool overdue = false,
                DeviceSort sort = DeviceSort.AssetTag, bool desc = false, int skip = 0, int take = 100) =>
                TypedResults.Ok(await queries.ListAsync(DeskActor.From(user),
                    new DeviceFilter(search, status, overdue, sort, desc), Math.Max(skip, 0), Math.Clamp(take, 1, MaxPageSize), ct)))
            .WithName("ListDevices")
            .WithSummary("Devices with their open rental, filtered and sorted like the desk page; `skip` and `take` (at most 500) page through them.");

        desk.MapGet("/{id:int}", async Task<Results<Ok<DeviceRow>, ProblemHttpResult>> (
                int id, ClaimsPrincipal user, DeviceQueries queries, CancellationToken ct) =>
                await queries.GetAsync(DeskActor.From(user), id, ct) is { } device ? TypedResults.Ok(device) : ApiProblems.From(Errors.NotFound))
            .WithName("GetDevice").WithSummary("One device with its open rental.");

        desk.MapPost("", async Task<Results<Ok<DeviceRow>, ProblemHttpResult>> (
                DeviceInput input, ClaimsPrincipal user, DeskService service, DeviceQueries queries, CancellationToken ct) =>
                await DeviceAsync(DeskActor.From(user), await service.RegisterAsync(DeskActor.From(user), Complete(input), ct), queries, ct))
            .WithName("RegisterDevice").WithSummary("Registers a device (Admins); the asset tag is trimmed, upper-cased and unique.");

        desk.MapPut("/{id:int}", async Task<Results<Ok<DeviceRow>, ProblemHttpResult>> (
                int id, DeviceInput input, ClaimsPrincipal user, DeskService service, DeviceQueries queries, CancellationToken ct) =>
                await DeviceAsync(DeskActor.From(user), await service.UpdateAsync(DeskActor.From(user), id, Complete(input), ct), queries, ct))
            .WithName("UpdateDevice").WithSummary("Replaces a device's details (Admins); its status and rentals stay.");

        desk.MapPost("/check-out", async Task<Results<Ok<RentalChange>, ProblemHttpResult>> (
                CheckOutRequest request, ClaimsPrincipal user, DeskService service, DeviceQueries queries, CancellationToken ct) =>
                await RentalAsync(
                    await service.CheckOutAsync(DeskActor.From(user), request with
                    {
                        AssetTag = request.AssetTag ?? "",
                        Borrower = request.Borrower ?? new Borrower(null, null, null),
                    }, ct),
                    DeskActor.From(user), request.AssetTag, queries, ct))
            .WithName("CheckOutDevice")
            .WithSummary("Lends the device with `assetTag` to an account (`borrower.userId`) or a person by name and department until `dueAt`; "
                + "a device already out gets 409 device.already_rented.");

        desk.MapPost("/check-in", async Task<Results<Ok<RentalChange>, ProblemHttpResult>> (
                CheckInRequest request, ClaimsPrincipal user, DeskService service, DeviceQueries queries, CancellationToken ct) =>
                await RentalAsync(
                    await service.CheckInAsync(DeskActor.From(user), request with { AssetTag = request.AssetTag ?? "" }, ct),
                    DeskActor.From(user), request.AssetTag, queries, ct))
            .WithName("CheckInDevice").WithSummary("Takes the device with `assetTag` back; `needsRepair` sends it straight to repair.");

        desk.MapGet("/overdue", async (ClaimsPrincipal user, DeviceQueries queries, CancellationToken ct) =>
                TypedResults.Ok(await queries.OverdueAsync(DeskActor.From(user), ct)))
            .WithName("ListOverdueRentals").WithSummary("Open rentals past their due time, the longest overdue first.");

        desk.MapGet("/report", async Task<Results<Ok<UsageSummary>, ProblemHttpResult>> (
                DateOnly from, DateOnly to, ClaimsPrincipal user, UsageReport report, CancellationToken ct, string? tz = null) =>
            {
                var zone = TimeZones.Find(tz);
                return zone.IsSuccess ? (await report.BuildAsync(DeskActor.From(user), from, to, zone.Value, ct)).ToOk() : ApiProblems.From(zone.Error!);
            })
            .WithName("GetUsageReport")
            .WithSummary("Usage per device and per borrower between `from` and `to` (inclusive), whole days of `tz` (an IANA zone such as Asia/Seoul; UTC when absent); as CSV at /desk/export/report.csv.");

        return api;
    }

    /// <summary>JSON leaves absent fields null; Core's input wants empty strings for the required ones.</summary>
    private static DeviceInput Complete(DeviceInput input) =>
        input with { AssetTag = input.AssetTag ?? "", Manufacturer = input.Manufacturer ?? "", Model = input.Model ?? "" };

    private static async Task<Results<Ok<DeviceRow>, ProblemHttpResult>> DeviceAsync(
        DeskActor actor, Result<int> saved, DeviceQueries queries, CancellationToken ct)
    {
        if (!saved.IsSuccess)
        {
            return ApiProblems.From(saved.Error!);
        }

        return await queries.GetAsync(actor, saved.Value, ct) is { } device ? TypedResults.Ok(device) : ApiProblems.From(Errors.NotFound);
    }

    private static async Task<Results<Ok<RentalChange>, ProblemHttpResult>> RentalAsync(
        Result<long> rental, DeskActor actor, string? assetTag, DeviceQueries queries, CancellationToken ct) =>
        rental.IsSuccess
            ? TypedResults.Ok(new RentalChange(rental.Value, await queries.FindByTagAsync(actor, assetTag ?? "", ct)))
            : ApiProblems.From(rental.Error!);
}
