using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Errors = FileVault.Core.Devices.DeviceLifecycle.Errors;

namespace FileVault.Core.Devices;

/// <summary>
/// Every change at the device desk: registering and editing devices, check-out, check-in, repair and retirement.
/// Each operation is one transaction; status changes go through <see cref="DeviceLifecycle"/> and are applied with a
/// compare-and-set update, and the partial unique index on open rentals decides check-out races.
/// </summary>
public sealed class DeskService(IDbContextFactory<FileVaultDbContext> contexts, TimeProvider time, ILogger<DeskService> logger)
{
    public async Task<Result<int>> RegisterAsync(DeskActor actor, DeviceInput input, CancellationToken cancellationToken)
    {
        if (!actor.ManagesDevices)
        {
            return Errors.Forbidden;
        }

        var valid = input.Validate();
        if (!valid.IsSuccess)
        {
            return valid.Error!;
        }

        return await InTransactionAsync<int>(async db =>
        {
            var now = time.GetUtcNow();
            var device = new Device
            {
                AssetTag = valid.Value.AssetTag,
                Manufacturer = valid.Value.Manufacturer,
                Model = valid.Value.Model,
                Status = DeviceStatus.Available,
                CreatedAt = now,
            };
            Apply(device, valid.Value, now);
            db.Devices.Add(device);
            if (await SaveAsync(db, cancellationToken) is { } error)
            {
                return error;
            }

            db.DeviceEvents.Add(Event(device.Id, DeviceEventKind.Registered, actor, now, detail: device.AssetTag));
            await db.SaveChangesAsync(cancellationToken);
            return device.Id;
        }, cancellationToken);
    }

    public async Task<Result<int>> UpdateAsync(DeskActor actor, int deviceId, DeviceInput input, CancellationToken cancellationToken)
    {
        if (!actor.ManagesDevices)
        {
            return Errors.Forbidden;
        }

        var valid = input.Validate();
        if (!valid.IsSuccess)
        {
            return valid.Error!;
        }

        return await InTransactionAsync<int>(async db =>
        {
            var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
            if (device is null)
            {
                return Errors.NotFound;
            }

            var now = time.GetUtcNow();
            Apply(device, valid.Value, now);
            var changed = db.Entry(device).Properties
                .Where(p => p.IsModified && p.Metadata.Name != nameof(Device.UpdatedAt))
                .Select(p => p.Metadata.Name)
                .ToList();
            if (changed.Count == 0)
            {
                return device.Id;
            }

            db.DeviceEvents.Add(Event(device.Id, DeviceEventKind.Edited, actor, now, detail: string.Join(", ", changed)));
            return await SaveAsync(db, cancellationToken) is { } error ? error : device.Id;
        }, cancellationToken);
    }

    public async Task<Result<int>> SetPhotoAsync(DeskActor actor, int deviceId, byte[] bytes, CancellationToken cancellationToken)
    {
        if (!actor.ManagesDevices)
        {
            return Errors.Forbidden;
        }

        var contentType = DevicePhotoFormat.Detect(bytes);
        if (!contentType.IsSuccess)
        {
            return contentType.Error!;
        }

        return await InTransactionAsync<int>(async db =>
        {
            if (!await db.Devices.AnyAsync(d => d.Id == deviceId, cancellationToken))
            {
                return Errors.NotFound;
            }

            var now = time.GetUtcNow();
            var photo = await db.DevicePhotos.FirstOrDefaultAsync(p => p.DeviceId == deviceId, cancellationToken);
            if (photo is null)
            {
                db.DevicePhotos.Add(new DevicePhoto { DeviceId = deviceId, ContentType = contentType.Value, Bytes = bytes, UpdatedAt = now });
            }
            else
            {
                photo.ContentType = contentType.Value;
                photo.Bytes = bytes;
                photo.UpdatedAt = now;
            }

            db.DeviceEvents.Add(Event(deviceId, DeviceEventKind.PhotoChanged, actor, now, detail: contentType.Value));
            await db.SaveChangesAsync(cancellationToken);
            return deviceId;
        }, cancellationToken);
    }

    /// <summary>Lends a device. Of two desks racing for the same device, exactly one wins; the other gets <c>device.already_rented</c>.</summary>
    public async Task<Result<long>> CheckOutAsync(DeskActor actor, CheckOutRequest request, CancellationToken cancellationToken)
    {
        if (!actor.RunsDesk)
        {
            return Errors.Forbidden;
        }

        var now = time.GetUtcNow();
        if (request.DueAt <= now)
        {
            return Errors.DueBeforeStart;
        }

        var purpose = DeviceInput.Optional(request.Purpose);
        var department = DeviceInput.Optional(request.Borrower.Department);
        if (purpose?.Length > DeviceInput.NotesMaxLength || department?.Length > DeviceInput.NameMaxLength)
        {
            return new Error("device.field_too_long", "Purpose or department is too long.");
        }

        return await InTransactionAsync<long>(async db =>
        {
            var borrower = await ResolveBorrowerAsync(db, request.Borrower, cancellationToken);
            if (!borrower.IsSuccess)
            {
                return borrower.Error!;
            }

            var tag = DeviceInput.NormalizeAssetTag(request.AssetTag);
            var device = await db.Devices.AsNoTracking().Where(d => d.AssetTag == tag)
                .Select(d => new { d.Id, d.Status }).FirstOrDefaultAsync(cancellationToken);
            if (device is null)
            {
                return Errors.NotFound;
            }

            var next = DeviceLifecycle.Next(device.Status, DeviceAction.CheckOut);
            if (!next.IsSuccess)
            {
                return next.Error!;
            }

            var rental = new Rental
            {
                DeviceId = device.Id,
                BorrowerUserId = request.Borrower.UserId,
                BorrowerName = borrower.Value,
                BorrowerDepartment = department,
                Purpose = purpose,
                StartedAt = now,
                DueAt = request.DueAt,
                CheckedOutBy = actor.Name,
            };
            db.Rentals.Add(rental);
            // The rental goes in before the status changes, so a concurrent check-out of the same device waits on the
            // partial unique index and fails with 23505 once this one commits.
            if (await SaveAsync(db, cancellationToken) is { } error)
            {
                return error;
            }

            var moved = await TransitionAsync(db, device.Id, device.Status, DeviceAction.CheckOut, now, cancellationToken);
            if (!moved.IsSuccess)
            {
                return moved.Error!;
            }

            db.DeviceEvents.Add(Event(device.Id, DeviceEventKind.CheckedOut, actor, now, rental.Id,
                department is null ? borrower.Value : $"{borrower.Value} ({department})"));
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("{Actor} checked out {AssetTag} to {Borrower} until {DueAt}", actor.Name, tag, borrower.Value, request.DueAt);
            return rental.Id;
        }, cancellationToken);
    }

    /// <summary>Takes a device back; with <see cref="CheckInRequest.NeedsRepair"/> it goes straight to repair.</summary>
    public async Task<Result<long>> CheckInAsync(DeskActor actor, CheckInRequest request, CancellationToken cancellationToken)
    {
        if (!actor.RunsDesk)
        {
            return Errors.Forbidden;
        }

        var condition = DeviceInput.Optional(request.Condition);
        if (condition?.Length > DeviceInput.NotesMaxLength)
        {
            return new Error("device.field_too_long", "Condition notes are too long.");
        }

        return await InTransactionAsync<long>(async db =>
        {
            var tag = DeviceInput.NormalizeAssetTag(request.AssetTag);
            var device = await db.Devices.AsNoTracking().Where(d => d.AssetTag == tag)
                .Select(d => new { d.Id, d.Status }).FirstOrDefaultAsync(cancellationToken);
            if (device is null)
            {
                return Errors.NotFound;
            }

            var now = time.GetUtcNow();
            var action = request.NeedsRepair ? DeviceAction.CheckInToRepair : DeviceAction.CheckIn;
            var moved = await TransitionAsync(db, device.Id, device.Status, action, now, cancellationToken);
            if (!moved.IsSuccess)
            {
                return moved.Error!;
            }

            var rentalId = await db.Rentals.Where(r => r.DeviceId == device.Id && r.ReturnedAt == null)
                .Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (rentalId is null
                || await db.Rentals.Where(r => r.Id == rentalId && r.ReturnedAt == null).ExecuteUpdateAsync(set => set
                    .SetProperty(r => r.ReturnedAt, now)
                    .SetProperty(r => r.CheckedInBy, actor.Name)
                    .SetProperty(r => r.ReturnCondition, condition), cancellationToken) == 0)
            {
                return Errors.NotRented;
            }

            db.DeviceEvents.Add(Event(device.Id, DeviceEventKind.CheckedIn, actor, now, rentalId, condition));
            if (request.NeedsRepair)
            {
                db.DeviceEvents.Add(Event(device.Id, DeviceEventKind.SentToRepair, actor, now, rentalId, condition));
            }

            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("{Actor} checked in {AssetTag} (rental {RentalId})", actor.Name, tag, rentalId);
            return rentalId.Value;
        }, cancellationToken);
    }

    /// <summary>Repair, back from repair, or retirement. Retiring is for those who manage devices.</summary>
    public async Task<Result<DeviceStatus>> ChangeStatusAsync(
        DeskActor actor, int deviceId, DeviceAction action, string? note, CancellationToken cancellationToken)
    {
        var allowed = action switch
        {
            DeviceAction.SendToRepair or DeviceAction.ReturnFromRepair => actor.RunsDesk,
            DeviceAction.Retire => actor.ManagesDevices,
            _ => false,
        };
        if (!allowed)
        {
            return Errors.Forbidden;
        }

        note = DeviceInput.Optional(note);
        if (note?.Length > DeviceInput.NotesMaxLength)
        {
            return new Error("device.field_too_long", "The note is too long.");
        }

        return await InTransactionAsync<DeviceStatus>(async db =>
        {
            var status = await db.Devices.Where(d => d.Id == deviceId).Select(d => (DeviceStatus?)d.Status).FirstOrDefaultAsync(cancellationToken);
            if (status is null)
            {
                return Errors.NotFound;
            }

            var now = time.GetUtcNow();
            var moved = await TransitionAsync(db, deviceId, status.Value, action, now, cancellationToken);
            if (!moved.IsSuccess)
            {
                return moved;
            }

            var kind = action switch
            {
                DeviceAction.SendToRepair => DeviceEventKind.SentToRepair,
                DeviceAction.ReturnFromRepair => DeviceEventKind.Repaired,
                _ => DeviceEventKind.Retired,
            };
            db.DeviceEvents.Add(Event(deviceId, kind, actor, now, detail: note));
            await db.SaveChangesAsync(cancellationToken);
            return moved;
        }, cancellationToken);
    }

    /// <summary>Applies a lifecycle step only if the device still has the status it was decided on.</summary>
    private static async Task<Result<DeviceStatus>> TransitionAsync(
        FileVaultDbContext db, int deviceId, DeviceStatus current, DeviceAction action, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var next = DeviceLifecycle.Next(current, action);
        if (!next.IsSuccess)
        {
            return next;
        }

        var changed = await db.Devices.Where(d => d.Id == deviceId && d.Status == current)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.Status, next.Value).SetProperty(d => d.UpdatedAt, now), cancellationToken);
        if (changed == 1)
        {
            return next;
        }

        // Another desk changed it first: explain in terms of what it is now.
        var fresh = await db.Devices.Where(d => d.Id == deviceId).Select(d => (DeviceStatus?)d.Status).FirstOrDefaultAsync(cancellationToken);
        return fresh is null ? Errors.NotFound : DeviceLifecycle.Next(fresh.Value, action).Error ?? Errors.Changed;
    }

    private static async Task<Result<string>> ResolveBorrowerAsync(FileVaultDbContext db, Borrower borrower, CancellationToken cancellationToken)
    {
        if (borrower.UserId is { } userId)
        {
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId && !u.IsDisabled)
                .Select(u => new { u.DisplayName, u.Email }).FirstOrDefaultAsync(cancellationToken);
            if (user is null)
            {
                return Errors.BorrowerNotFound;
            }

            return string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? userId.ToString() : user.DisplayName;
        }

        var name = DeviceInput.Optional(borrower.Name);
        if (name is null)
        {
            return Errors.BorrowerRequired;
        }

        return name.Length > DeviceInput.NameMaxLength ? new Error("device.field_too_long", "The borrower's name is too long.") : name;
    }

    private static void Apply(Device device, DeviceInput input, DateTimeOffset now)
    {
        device.AssetTag = input.AssetTag;
        device.Manufacturer = input.Manufacturer;
        device.Model = input.Model;
        device.OsName = input.OsName;
        device.OsVersion = input.OsVersion;
        device.SerialNumber = input.SerialNumber;
        device.PurchaseDate = input.PurchaseDate;
        device.Notes = input.Notes;
        device.UpdatedAt = now;
    }

    private static DeviceEvent Event(int deviceId, DeviceEventKind kind, DeskActor actor, DateTimeOffset now, long? rentalId = null, string? detail = null) =>
        new() { DeviceId = deviceId, Kind = kind, Actor = actor.Name, At = now, RentalId = rentalId, Detail = detail };

    /// <summary>Saves, turning the desk's unique indexes into their errors.</summary>
    private static async Task<Error?> SaveAsync(FileVaultDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            return unique.ConstraintName switch
            {
                DeviceConfiguration.OneOpenRentalPerDevice => Errors.AlreadyRented,
                DeviceConfiguration.UniqueAssetTag => Errors.AssetTagTaken,
                _ => throw new InvalidOperationException($"Unexpected unique violation on {unique.ConstraintName}", ex),
            };
        }
    }

    /// <summary>One transaction, retried as a whole on transient PostgreSQL failures; committed only on success.</summary>
    private async Task<Result<T>> InTransactionAsync<T>(Func<FileVaultDbContext, Task<Result<T>>> work, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var result = await work(db);
            if (result.IsSuccess)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return result;
        });
    }
}
