namespace FileVault.Core.Devices;

/// <summary>What can happen to a device.</summary>
public enum DeviceAction
{
    CheckOut,
    CheckIn,
    /// <summary>Checked in with damage: straight to repair.</summary>
    CheckInToRepair,
    SendToRepair,
    ReturnFromRepair,
    Retire,
}

/// <summary>Every status transition of a device, in one place; services apply the result with a compare-and-set update.</summary>
public static class DeviceLifecycle
{
    public static Result<DeviceStatus> Next(DeviceStatus current, DeviceAction action) => (current, action) switch
    {
        (DeviceStatus.Retired, _) => Errors.Retired,
        (DeviceStatus.Available, DeviceAction.CheckOut) => DeviceStatus.Rented,
        (DeviceStatus.Rented, DeviceAction.CheckOut) => Errors.AlreadyRented,
        (DeviceStatus.InRepair, DeviceAction.CheckOut) => Errors.InRepair,
        (DeviceStatus.Rented, DeviceAction.CheckIn) => DeviceStatus.Available,
        (DeviceStatus.Rented, DeviceAction.CheckInToRepair) => DeviceStatus.InRepair,
        (_, DeviceAction.CheckIn or DeviceAction.CheckInToRepair) => Errors.NotRented,
        (DeviceStatus.Available, DeviceAction.SendToRepair) => DeviceStatus.InRepair,
        (DeviceStatus.InRepair, DeviceAction.SendToRepair) => Errors.InRepair,
        (DeviceStatus.InRepair, DeviceAction.ReturnFromRepair) => DeviceStatus.Available,
        (DeviceStatus.Available or DeviceStatus.InRepair, DeviceAction.Retire) => DeviceStatus.Retired,
        (DeviceStatus.Rented, _) => Errors.StillRented,
        _ => Errors.NotInRepair,
    };

    /// <summary>The stable error codes of the desk.</summary>
    public static class Errors
    {
        public static readonly Error NotFound = new("device.not_found", "No device with that asset tag or id.");
        public static readonly Error AlreadyRented = new("device.already_rented", "The device is already rented out.");
        public static readonly Error NotRented = new("device.not_rented", "The device is not rented out.");
        public static readonly Error Retired = new("device.retired", "The device is retired.");
        public static readonly Error InRepair = new("device.in_repair", "The device is in repair.");
        public static readonly Error StillRented = new("device.rented", "The device is rented out; check it in first.");
        public static readonly Error NotInRepair = new("device.not_in_repair", "The device is not in repair.");
        public static readonly Error AssetTagTaken = new("device.asset_tag_taken", "Another device has that asset tag.");
        public static readonly Error DueBeforeStart = new("rental.due_before_start", "The due date must be after the check-out time.");
        public static readonly Error BorrowerRequired = new("rental.borrower_required", "Choose an employee account or give the borrower's name.");
        public static readonly Error BorrowerNotFound = new("rental.borrower_not_found", "That employee account does not exist or is disabled.");
        public static readonly Error Changed = new("device.changed", "Someone else changed the device at the same moment; try again.");
        public static readonly Error Forbidden = new("desk.forbidden", "Your role does not allow this.");
    }
}
