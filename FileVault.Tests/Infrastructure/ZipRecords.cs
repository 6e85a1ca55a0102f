using System.Buffers.Binary;

namespace FileVault.Tests.Infrastructure;

/// <summary>What System.IO.Compression does not show of a ZIP: the flags of its central directory records.</summary>
public static class ZipRecords
{
    /// <summary>The UTF-8 flag (bit 11) of every central directory record, by entry name (read as UTF-8).</summary>
    public static Dictionary<string, bool> Utf8Flags(ReadOnlySpan<byte> zip)
    {
        var end = zip[^22..]; // end of central directory, no comment
        Assert.Equal(0x06054b50u, BinaryPrimitives.ReadUInt32LittleEndian(end));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        var flags = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var record = zip[offset..];
            Assert.Equal(0x02014b50u, BinaryPrimitives.ReadUInt32LittleEndian(record));
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(record[28..]);
            flags[System.Text.Encoding.UTF8.GetString(record.Slice(46, nameLength))] = (BinaryPrimitives.ReadUInt16LittleEndian(record[8..]) & 0x800) != 0;
            offset += 46 + nameLength + BinaryPrimitives.ReadUInt16LittleEndian(record[30..]) + BinaryPrimitives.ReadUInt16LittleEndian(record[32..]);
        }

        Assert.NotEmpty(flags);
        return flags;
    }
}
