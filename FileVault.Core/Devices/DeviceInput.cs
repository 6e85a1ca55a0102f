namespace FileVault.Core.Devices;

/// <summary>What the register and edit form sends.</summary>
public sealed record DeviceInput(
    string AssetTag,
    string Manufacturer,
    string Model,
    string? OsName,
    string? OsVersion,
    string? SerialNumber,
    DateOnly? PurchaseDate,
    string? Notes)
{
    public const int AssetTagMaxLength = 50;
    public const int NameMaxLength = 100;
    public const int NotesMaxLength = 1000;

    /// <summary>Barcode scanners and people type tags with stray spaces and either case.</summary>
    public static string NormalizeAssetTag(string tag) => tag.Trim().ToUpperInvariant();

    /// <summary>The input trimmed, empty optional fields as null, or the first rule it breaks.</summary>
    public Result<DeviceInput> Validate()
    {
        var tag = NormalizeAssetTag(AssetTag);
        if (tag.Length is 0 or > AssetTagMaxLength || tag.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return new Error("device.asset_tag_invalid", "An asset tag has 1 to 50 characters and no spaces.");
        }

        if (string.IsNullOrWhiteSpace(Manufacturer) || string.IsNullOrWhiteSpace(Model))
        {
            return new Error("device.model_required", "Give the manufacturer and the model.");
        }

        var input = this with
        {
            AssetTag = tag,
            Manufacturer = Manufacturer.Trim(),
            Model = Model.Trim(),
            OsName = Optional(OsName),
            OsVersion = Optional(OsVersion),
            SerialNumber = Optional(SerialNumber),
            Notes = Optional(Notes),
        };
        if (new[] { input.Manufacturer, input.Model, input.OsName, input.OsVersion, input.SerialNumber }.Any(v => v?.Length > NameMaxLength)
            || input.Notes?.Length > NotesMaxLength)
        {
            return new Error("device.field_too_long", "A field is too long (names 100 characters, notes 1000).");
        }

        return input;
    }

    internal static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Who borrows: an employee account, or a name and department for someone without one.</summary>
public sealed record Borrower(Guid? UserId, string? Name, string? Department);

public sealed record CheckOutRequest(string AssetTag, Borrower Borrower, string? Purpose, DateTimeOffset DueAt);

public sealed record CheckInRequest(string AssetTag, string? Condition, bool NeedsRepair);
