using System.Linq.Expressions;
using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Devices;

public enum DeviceSort
{
    AssetTag,
    Model,
    Status,
    DueAt,
    PurchaseDate,
}

/// <summary>The device list's search, filters and sort; the same record drives the table and its CSV export.</summary>
public sealed record DeviceFilter(
    string? Search = null, DeviceStatus? Status = null, bool OverdueOnly = false, DeviceSort Sort = DeviceSort.AssetTag, bool Descending = false);

public sealed record OpenRental(long Id, string BorrowerName, string? BorrowerDepartment, Guid? BorrowerUserId, DateTimeOffset StartedAt, DateTimeOffset DueAt, string? Purpose);

public sealed record DeviceRow(
    int Id, string AssetTag, string Manufacturer, string Model, string? OsName, string? OsVersion, string? SerialNumber,
    DateOnly? PurchaseDate, DeviceStatus Status, string? Notes, bool HasPhoto, OpenRental? Rental, bool IsOverdue);

public sealed record DevicePage(IReadOnlyList<DeviceRow> Rows, int Total);

public sealed record RentalRow(
    long Id, int DeviceId, string AssetTag, string Manufacturer, string Model, Guid? BorrowerUserId, string BorrowerName,
    string? BorrowerDepartment, string? Purpose, DateTimeOffset StartedAt, DateTimeOffset DueAt, DateTimeOffset? ReturnedAt,
    string CheckedOutBy, string? CheckedInBy, string? ReturnCondition, bool IsOverdue);

public sealed record DeviceEventRow(long Id, DeviceEventKind Kind, DateTimeOffset At, string Actor, string? Detail);

public sealed record DeskTiles(int Available, int Rented, int Overdue, int InRepair);

public sealed record BorrowerOption(Guid Id, string DisplayName, string? Email);

/// <summary>
/// Read side of the desk: lists, tiles, overdue rentals, history, a user's own rentals. Every method takes the acting
/// <see cref="DeskActor"/>: the desk's views answer only desk staff and admins (anyone else gets nothing, as if there
/// were no devices), and a user's rentals are only ever their own (R-AUTH-2: Core refuses what the UI hides).
/// </summary>
public sealed class DeviceQueries(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time)
{
    /// <summary>More rows than any desk has; exports stop here rather than hold an unbounded list.</summary>
    public const int ExportLimit = 50_000;

    public async Task<DevicePage> ListAsync(DeskActor actor, DeviceFilter filter, int skip, int take, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return new DevicePage([], 0);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var rows =
            from d in db.Devices.AsNoTracking()
            join r in db.Rentals.Where(r => r.ReturnedAt == null) on d.Id equals r.DeviceId into open
            from r in open.DefaultIfEmpty()
            select new { Device = d, Rental = r };

        if (filter.Status is { } status)
        {
            rows = rows.Where(x => x.Device.Status == status);
        }

        if (filter.OverdueOnly)
        {
            rows = rows.Where(x => x.Rental != null && x.Rental.DueAt < now);
        }

        if (LikePattern(filter.Search) is { } pattern)
        {
            rows = rows.Where(x =>
                EF.Functions.ILike(x.Device.AssetTag, pattern, LikePatterns.Escape) || EF.Functions.ILike(x.Device.Manufacturer, pattern, LikePatterns.Escape)
                || EF.Functions.ILike(x.Device.Model, pattern, LikePatterns.Escape) || EF.Functions.ILike(x.Device.SerialNumber ?? "", pattern, LikePatterns.Escape)
                || EF.Functions.ILike(x.Device.OsName ?? "", pattern, LikePatterns.Escape) || EF.Functions.ILike(x.Rental!.BorrowerName ?? "", pattern, LikePatterns.Escape));
        }

        rows = (filter.Sort, filter.Descending) switch
        {
            (DeviceSort.Model, false) => rows.OrderBy(x => x.Device.Manufacturer).ThenBy(x => x.Device.Model).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.Model, true) => rows.OrderByDescending(x => x.Device.Manufacturer).ThenByDescending(x => x.Device.Model).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.Status, false) => rows.OrderBy(x => x.Device.Status).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.Status, true) => rows.OrderByDescending(x => x.Device.Status).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.DueAt, false) => rows.OrderBy(x => x.Rental == null).ThenBy(x => x.Rental!.DueAt).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.DueAt, true) => rows.OrderBy(x => x.Rental == null).ThenByDescending(x => x.Rental!.DueAt).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.PurchaseDate, false) => rows.OrderBy(x => x.Device.PurchaseDate).ThenBy(x => x.Device.AssetTag),
            (DeviceSort.PurchaseDate, true) => rows.OrderByDescending(x => x.Device.PurchaseDate).ThenBy(x => x.Device.AssetTag),
            (_, true) => rows.OrderByDescending(x => x.Device.AssetTag),
            _ => rows.OrderBy(x => x.Device.AssetTag),
        };

        var total = await rows.CountAsync(cancellationToken);
        var page = await rows.Skip(skip).Take(Math.Clamp(take, 1, ExportLimit))
            .Select(x => new DeviceRow(
                x.Device.Id, x.Device.AssetTag, x.Device.Manufacturer, x.Device.Model, x.Device.OsName, x.Device.OsVersion,
                x.Device.SerialNumber, x.Device.PurchaseDate, x.Device.Status, x.Device.Notes,
                db.DevicePhotos.Any(p => p.DeviceId == x.Device.Id),
                x.Rental == null ? null : new OpenRental(
                    x.Rental.Id, x.Rental.BorrowerName, x.Rental.BorrowerDepartment, x.Rental.BorrowerUserId, x.Rental.StartedAt,
                    x.Rental.DueAt, x.Rental.Purpose),
                x.Rental != null && x.Rental.DueAt < now))
            .ToListAsync(cancellationToken);
        return new DevicePage(page, total);
    }

    /// <summary>The device a scanned or typed tag names, with its open rental.</summary>
    public async Task<DeviceRow?> FindByTagAsync(DeskActor actor, string assetTag, CancellationToken cancellationToken)
    {
        var tag = DeviceInput.NormalizeAssetTag(assetTag);
        if (!RunsDesk(actor) || tag.Length is 0 or > DeviceInput.AssetTagMaxLength)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var id = await db.Devices.Where(d => d.AssetTag == tag).Select(d => (int?)d.Id).FirstOrDefaultAsync(cancellationToken);
        return id is null ? null : await GetAsync(actor, id.Value, cancellationToken);
    }

    public async Task<DeviceRow?> GetAsync(DeskActor actor, int deviceId, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var rental = await db.Rentals.AsNoTracking().Where(r => r.DeviceId == deviceId && r.ReturnedAt == null)
            .Select(r => new OpenRental(r.Id, r.BorrowerName, r.BorrowerDepartment, r.BorrowerUserId, r.StartedAt, r.DueAt, r.Purpose))
            .FirstOrDefaultAsync(cancellationToken);
        var hasPhoto = await db.DevicePhotos.AnyAsync(p => p.DeviceId == deviceId, cancellationToken);
        return new DeviceRow(
            device.Id, device.AssetTag, device.Manufacturer, device.Model, device.OsName, device.OsVersion, device.SerialNumber,
            device.PurchaseDate, device.Status, device.Notes, hasPhoto, rental, rental is not null && rental.DueAt < now);
    }

    public async Task<DeskTiles> TilesAsync(DeskActor actor, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return new DeskTiles(0, 0, 0, 0);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var counts = await db.Devices.GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var overdue = await db.Rentals.CountAsync(r => r.ReturnedAt == null && r.DueAt < now, cancellationToken);
        return new DeskTiles(
            counts.GetValueOrDefault(DeviceStatus.Available), counts.GetValueOrDefault(DeviceStatus.Rented), overdue,
            counts.GetValueOrDefault(DeviceStatus.InRepair));
    }

    /// <summary>Open rentals past their due time, the longest overdue first.</summary>
    public async Task<IReadOnlyList<RentalRow>> OverdueAsync(DeskActor actor, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        return await Rentals(db).Where(x => x.Rental.ReturnedAt == null && x.Rental.DueAt < now).OrderBy(x => x.Rental.DueAt)
            .Take(ExportLimit).Select(Row(now)).ToListAsync(cancellationToken);
    }

    /// <summary>The actor's own rentals: open ones first, then the most recent.</summary>
    public async Task<IReadOnlyList<RentalRow>> MyRentalsAsync(DeskActor actor, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Rentals(db).Where(x => x.Rental.BorrowerUserId == actor.UserId)
            .OrderBy(x => x.Rental.ReturnedAt != null).ThenByDescending(x => x.Rental.StartedAt).Take(count)
            .Select(Row(time.GetUtcNow())).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RentalRow>> RentalsOfDeviceAsync(DeskActor actor, int deviceId, int count, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Rentals(db).Where(x => x.Rental.DeviceId == deviceId)
            .OrderByDescending(x => x.Rental.StartedAt).Take(count).Select(Row(time.GetUtcNow())).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DeviceEventRow>> HistoryAsync(DeskActor actor, int deviceId, int count, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.DeviceEvents.AsNoTracking().Where(e => e.DeviceId == deviceId)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(count)
            .Select(e => new DeviceEventRow(e.Id, e.Kind, e.At, e.Actor, e.Detail))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Enabled employee accounts matching a name or e-mail, for the desk's borrower picker (nobody else may list accounts).</summary>
    public async Task<IReadOnlyList<BorrowerOption>> FindBorrowersAsync(DeskActor actor, string? text, int count, CancellationToken cancellationToken)
    {
        if (!RunsDesk(actor))
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking().Where(u => !u.IsDisabled);
        if (LikePattern(text) is { } pattern)
        {
            users = users.Where(u => EF.Functions.ILike(u.DisplayName, pattern, LikePatterns.Escape) || EF.Functions.ILike(u.Email ?? "", pattern, LikePatterns.Escape));
        }

        return await users.OrderBy(u => u.DisplayName).ThenBy(u => u.Email).Take(count)
            .Select(u => new BorrowerOption(u.Id, u.DisplayName, u.Email)).ToListAsync(cancellationToken);
    }

    /// <summary>The device's photo, for the desk or for the person who has the device now; otherwise not found.</summary>
    public async Task<DevicePhoto?> PhotoAsync(DeskActor actor, int deviceId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var allowed = actor.RunsDesk || await db.Rentals.AnyAsync(
            r => r.DeviceId == deviceId && r.ReturnedAt == null && r.BorrowerUserId == actor.UserId, cancellationToken);
        return allowed ? await db.DevicePhotos.AsNoTracking().FirstOrDefaultAsync(p => p.DeviceId == deviceId, cancellationToken) : null;
    }

    /// <summary>A case-insensitive "contains" pattern for the search box's text (its first 100 characters), or null for none.</summary>
    private static string? LikePattern(string? text)
    {
        text = text?.Trim();
        return string.IsNullOrEmpty(text) ? null : LikePatterns.Containing(text.Length > 100 ? text[..100] : text);
    }

    private static bool RunsDesk(DeskActor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.RunsDesk;
    }

    private static IQueryable<RentalWithDevice> Rentals(FileVaultDbContext db) =>
        from r in db.Rentals.AsNoTracking()
        join d in db.Devices on r.DeviceId equals d.Id
        select new RentalWithDevice { Rental = r, Device = d };

    private static Expression<Func<RentalWithDevice, RentalRow>> Row(DateTimeOffset now) => x => new RentalRow(
        x.Rental.Id, x.Rental.DeviceId, x.Device.AssetTag, x.Device.Manufacturer, x.Device.Model, x.Rental.BorrowerUserId,
        x.Rental.BorrowerName, x.Rental.BorrowerDepartment, x.Rental.Purpose, x.Rental.StartedAt, x.Rental.DueAt, x.Rental.ReturnedAt,
        x.Rental.CheckedOutBy, x.Rental.CheckedInBy, x.Rental.ReturnCondition,
        x.Rental.ReturnedAt == null ? x.Rental.DueAt < now : x.Rental.ReturnedAt > x.Rental.DueAt);

    private sealed class RentalWithDevice
    {
        public required Rental Rental { get; init; }

        public required Device Device { get; init; }
    }
}
