using System.Globalization;

namespace FileVault.Web.Components.Shared;

public static class FileSizes
{
    private static readonly string[] Units = ["B", "KB", "MB", "GB", "TB", "PB"];

    /// <summary>1,536 → "1.5 KB"; binary multiples, as file managers show them.</summary>
    public static string Format(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString("N0", CultureInfo.CurrentCulture) + " B"
            : value.ToString(value < 10 ? "0.#" : "0", CultureInfo.CurrentCulture) + " " + Units[unit];
    }
}
