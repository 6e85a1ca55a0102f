using System.Globalization;
using System.Text;

namespace FileVault.Core.Catalog;

/// <summary>How on-disk names become catalog strings.</summary>
public static class EntryName
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The name as text: exact when the bytes are UTF-8, else with each invalid byte shown as \xNN.</summary>
    public static string Display(ReadOnlySpan<byte> bytes) => TryDecode(bytes, out var text) ? text : Escape(bytes);

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>NFC, lower-cased with the invariant culture: equal for "보고서.PDF" written by a Mac (NFD) and by Windows.</summary>
    /// <summary>
    /// The name as it should leave FileVault for another machine (a download's file name, a ZIP entry): NFC, the form
    /// Windows and Linux expect; a Mac's NFD name would show there as loose jamo (ㅂㅗㄱㅗㅅㅓ). Macs read NFC as well.
    /// </summary>
    public static string Portable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.IsNormalized(NormalizationForm.FormC) ? name : name.Normalize(NormalizationForm.FormC);
    }

    public static string Key(string name)
    {
        var nfc = name.IsNormalized(NormalizationForm.FormC) ? name : name.Normalize(NormalizationForm.FormC);
        return nfc.ToLowerInvariant();
    }

    /// <summary>Lower-case extension without the dot; null for none, for dot-files like ".bashrc", and for folders.</summary>
    public static string? Extension(string name)
    {
        var dot = name.LastIndexOf('.');
        if (dot <= 0 || dot == name.Length - 1)
        {
            return null;
        }

        var extension = name[(dot + 1)..];
        return extension.Length > 32 ? null : Key(extension);
    }

    private static string Escape(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length + 8);
        var i = 0;
        while (i < bytes.Length)
        {
            var length = Utf8SequenceLength(bytes[i]);
            if (length > 0 && i + length <= bytes.Length && TryDecode(bytes.Slice(i, length), out var text))
            {
                builder.Append(text);
                i += length;
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{bytes[i]:X2}");
                i++;
            }
        }

        return builder.ToString();
    }

    private static int Utf8SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xC2 and <= 0xDF => 2,
        >= 0xE0 and <= 0xEF => 3,
        >= 0xF0 and <= 0xF4 => 4,
        _ => 0,
    };
}
