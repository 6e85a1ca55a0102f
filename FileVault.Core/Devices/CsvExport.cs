using System.Globalization;
using CsvHelper;

namespace FileVault.Core.Devices;

/// <summary>One column of an exported list: its header in the reader's language and how a row fills it.</summary>
public sealed record CsvColumn<T>(string Header, Func<T, string?> Value);

/// <summary>
/// Lists as CSV that Excel opens correctly: UTF-8 with a byte order mark (without it Excel reads Korean as the ANSI
/// code page), RFC 4180 quoting by CsvHelper, and text that starts like a formula escaped with ' so a borrower's
/// name cannot run in a spreadsheet.
/// </summary>
public static class CsvExport
{
    public static CsvWriterOptions Options { get; } = new()
    {
        WriteByteOrderMark = true,
        Injection = CsvInjection.Escape,
        FormatProvider = CultureInfo.InvariantCulture,
    };

    public static async Task WriteAsync<T>(Stream stream, IReadOnlyList<CsvColumn<T>> columns, IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        await using var csv = CsvWriter.Create(stream, Options, leaveOpen: true);
        csv.WriteHeader(columns.Select(c => c.Header).ToArray());
        foreach (var row in rows)
        {
            await csv.WriteRecordAsync(columns.Select(c => c.Value(row)).ToArray()!, cancellationToken);
        }

        await csv.FlushAsync(cancellationToken);
    }

    public static async Task<byte[]> ToBytesAsync<T>(IReadOnlyList<CsvColumn<T>> columns, IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await WriteAsync(buffer, columns, rows, cancellationToken);
        return buffer.ToArray();
    }
}
