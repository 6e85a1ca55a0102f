using System.Text;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Downloads;

/// <summary>
/// The app on a real socket (curl talks to it) over a scanned root of files to download: data whose bytes are known,
/// names that try the Content-Disposition header, links, and folders to zip.
/// </summary>
public sealed class DownloadFixture : ServedAppFixture
{
    public static readonly string NfdName = "보고서.txt".Normalize(NormalizationForm.FormD);

    /// <summary>Names a header must carry exactly: quote, semicolon, percent, hash, NFD Korean, CR and LF.</summary>
    public static readonly string[] HardNames = ["quote\"d.txt", "semi;colon.txt", "per%cent 50%.txt", "hash#tag?.txt", NfdName, "line\nbreak.txt", "carriage\rreturn.txt"];

    /// <summary>The bytes of Files/data.bin: 300,000 seeded random ones.</summary>
    public static readonly byte[] Data = SeededBytes(300_000);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Write("Files/data.bin", Data);
        Write("Files/notes.txt", "hello"u8.ToArray());
        Write("Files/photo.png", [0x89, (byte)'P', (byte)'N', (byte)'G']);
        Write("Files/changing.txt", "version 1"u8.ToArray());
        foreach (var name in HardNames)
        {
            Write("Names/" + name, Encoding.UTF8.GetBytes(name));
        }

        Write("Links/target.txt", "target"u8.ToArray());
        File.CreateSymbolicLink(PathOf("Links/link.txt"), "target.txt");
        Write("Links/swap.txt", "ordinary"u8.ToArray());
        Write("Links/swapdir/inner.txt", "ordinary"u8.ToArray());
        Write("Zip/A/Case.txt", "A upper"u8.ToArray());
        Write("Zip/A/a\\b.txt", "backslash"u8.ToArray());
        Write("Zip/A/" + NfdName, "nfd"u8.ToArray());
        Directory.CreateDirectory(PathOf("Zip/A/empty"));
        File.CreateSymbolicLink(PathOf("Zip/A/outside"), "/etc");
        Write("Zip/B/case.txt", "B lower"u8.ToArray());
        Write("Zip/B/a/x.txt", "B a x"u8.ToArray());
        Write("Zip/C/Case.txt", "C upper"u8.ToArray());
        Write("Zip/Grow/grow.bin", Data);

        await ServeAsync();
    }

    private static byte[] SeededBytes(int count)
    {
        var bytes = new byte[count];
        new Random(20261202).NextBytes(bytes);
        return bytes;
    }
}
