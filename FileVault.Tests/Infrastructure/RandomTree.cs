using System.Security.Cryptography;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The data of the crash and outage tests: files of random bytes spread over 20 Korean-named folders, the same for
/// the same seed, and a SHA-256 ledger to compare a tree with before and after.
/// </summary>
public static class RandomTree
{
    /// <summary>Writes "<paramref name="top"/>/폴더NN/파일 NNNN.bin" under <paramref name="root"/>, each 1 byte to <paramref name="maxBytes"/>.</summary>
    public static void Write(string root, string top, int files, int maxBytes, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(root, top, $"폴더{i % 20:D2}");
            Directory.CreateDirectory(folder);
            var bytes = new byte[random.Next(1, maxBytes)];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(folder, $"파일 {i:D4}.bin"), bytes);
        }
    }

    /// <summary>Every file below <paramref name="relative"/>, by its path relative to <paramref name="root"/>, with its SHA-256.</summary>
    public static Dictionary<string, string> Hashes(string root, string relative) =>
        Directory.EnumerateFiles(Path.Combine(root, relative), "*", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(root, path), path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), StringComparer.Ordinal);
}
