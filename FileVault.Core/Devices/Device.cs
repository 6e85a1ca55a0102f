using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Devices;

public enum DeviceStatus : short
{
    Available = 0,
    Rented = 1,
    InRepair = 2,
    Retired = 3,
}

/// <summary>A phone or tablet the desk lends out, identified at the desk by the barcode on its asset tag.</summary>
public class Device
{
    public int Id { get; set; }

    /// <summary>Trimmed and upper-cased (<see cref="DeviceInput.NormalizeAssetTag"/>), so a scan matches however it was typed.</summary>
    public required string AssetTag { get; set; }

    public required string Manufacturer { get; set; }

    public required string Model { get; set; }

    public string? OsName { get; set; }

    public string? OsVersion { get; set; }

    /// <summary>Serial number or IMEI.</summary>
    public string? SerialNumber { get; set; }

    public DateOnly? PurchaseDate { get; set; }

    /// <summary>Changed only through <see cref="DeviceLifecycle"/>.</summary>
    public DeviceStatus Status { get; set; }

    public string? Notes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The device's photo, in its own table so device lists never read the bytes.</summary>
public class DevicePhoto
{
    public int DeviceId { get; set; }

    public required string ContentType { get; set; }

    public required byte[] Bytes { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One lending of one device; open while <see cref="ReturnedAt"/> is null.</summary>
public class Rental
{
    public long Id { get; set; }

    public int DeviceId { get; set; }

    /// <summary>The borrower's account, or null for someone without one (then name and department are all we have).</summary>
    public Guid? BorrowerUserId { get; set; }

    /// <summary>The borrower's name as it was at check-out.</summary>
    public required string BorrowerName { get; set; }

    public string? BorrowerDepartment { get; set; }

    public string? Purpose { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset DueAt { get; set; }

    public DateTimeOffset? ReturnedAt { get; set; }

    public required string CheckedOutBy { get; set; }

    public string? CheckedInBy { get; set; }

    public string? ReturnCondition { get; set; }
}

public enum DeviceEventKind : short
{
    Registered = 0,
    Edited = 1,
    CheckedOut = 2,
    CheckedIn = 3,
    SentToRepair = 4,
    Repaired = 5,
    Retired = 6,
    PhotoChanged = 7,
}

/// <summary>A line of a device's history: who did what, when.</summary>
public class DeviceEvent
{
    public long Id { get; set; }

    public int DeviceId { get; set; }

    public DeviceEventKind Kind { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Actor { get; set; }

    public long? RentalId { get; set; }

    /// <summary>Borrower, condition notes or changed fields, in the words the actor typed.</summary>
    public string? Detail { get; set; }
}

internal sealed class DeviceConfiguration :
    IEntityTypeConfiguration<Device>, IEntityTypeConfiguration<DevicePhoto>, IEntityTypeConfiguration<Rental>, IEntityTypeConfiguration<DeviceEvent>
{
    /// <summary>At most one open rental per device: the database, not the UI, guarantees it, so two desks checking out the same phone at once cannot both win.</summary>
    public const string OneOpenRentalPerDevice = "ux_rentals_one_open_per_device";

    public const string UniqueAssetTag = "ux_devices_asset_tag";

    public void Configure(EntityTypeBuilder<Device> builder)
    {
        builder.ToTable("devices");
        builder.Property(d => d.AssetTag).HasMaxLength(DeviceInput.AssetTagMaxLength);
        builder.Property(d => d.Manufacturer).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(d => d.Model).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(d => d.OsName).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(d => d.OsVersion).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(d => d.SerialNumber).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(d => d.Notes).HasMaxLength(DeviceInput.NotesMaxLength);
        builder.HasIndex(d => d.AssetTag).IsUnique().HasDatabaseName(UniqueAssetTag);
        builder.HasIndex(d => d.Status);
    }

    public void Configure(EntityTypeBuilder<DevicePhoto> builder)
    {
        builder.ToTable("device_photos");
        builder.HasKey(p => p.DeviceId);
        builder.Property(p => p.ContentType).HasMaxLength(50);
        builder.HasOne<Device>().WithOne().HasForeignKey<DevicePhoto>(p => p.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<Rental> builder)
    {
        builder.ToTable("rentals");
        builder.Property(r => r.BorrowerName).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(r => r.BorrowerDepartment).HasMaxLength(DeviceInput.NameMaxLength);
        builder.Property(r => r.Purpose).HasMaxLength(DeviceInput.NotesMaxLength);
        builder.Property(r => r.CheckedOutBy).HasMaxLength(256);
        builder.Property(r => r.CheckedInBy).HasMaxLength(256);
        builder.Property(r => r.ReturnCondition).HasMaxLength(DeviceInput.NotesMaxLength);
        builder.HasOne<Device>().WithMany().HasForeignKey(r => r.DeviceId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Access.FileVaultUser>().WithMany().HasForeignKey(r => r.BorrowerUserId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(r => r.DeviceId).IsUnique().HasFilter("returned_at IS NULL").HasDatabaseName(OneOpenRentalPerDevice);
        builder.HasIndex(r => new { r.DeviceId, r.StartedAt });
        builder.HasIndex(r => r.BorrowerUserId);
        builder.HasIndex(r => r.DueAt).HasFilter("returned_at IS NULL");
    }

    public void Configure(EntityTypeBuilder<DeviceEvent> builder)
    {
        builder.ToTable("device_events");
        builder.Property(e => e.Actor).HasMaxLength(256);
        builder.Property(e => e.Detail).HasMaxLength(2000);
        builder.HasOne<Device>().WithMany().HasForeignKey(e => e.DeviceId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.DeviceId, e.At });
    }
}
