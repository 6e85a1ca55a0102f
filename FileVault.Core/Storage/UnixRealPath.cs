using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace FileVault.Core.Storage;

/// <summary>
/// realpath(3): the absolute path with every symlink, <c>.</c> and <c>..</c> resolved by the kernel's rules.
/// .NET's ResolveLinkTarget follows only the last component; a containment check needs all of them resolved.
/// </summary>
internal static class UnixRealPath
{
    // Linux errno values (the same on x86_64 and arm64).
    internal const int ENOENT = 2;
    internal const int EACCES = 13;
    internal const int ENOTDIR = 20;
    internal const int ENAMETOOLONG = 36;
    internal const int ELOOP = 40;
    internal const int EILSEQ = 84;

    // PATH_MAX on Linux, terminating NUL included: realpath never writes more into the buffer.
    private const int PathMax = 4096;

    // A real path that is not valid UTF-8 would decode lossily, and two different paths could then compare equal.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Resolves <paramref name="path"/>, or says by errno why it cannot (EILSEQ: the real path is not valid UTF-8).</summary>
    public static bool TryResolve(string path, [NotNullWhen(true)] out string? realPath, out int errno)
    {
        // The marshaller would cut the string at a NUL and resolve a different path.
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A path passed to realpath cannot contain NUL.", nameof(path));
        }

        Span<byte> buffer = stackalloc byte[PathMax];
        unsafe
        {
            fixed (byte* p = buffer)
            {
                if (Native.realpath(path, p) is null)
                {
                    realPath = null;
                    errno = Marshal.GetLastPInvokeError();
                    return false;
                }
            }
        }

        var resolved = buffer[..buffer.IndexOf((byte)0)];
        try
        {
            realPath = StrictUtf8.GetString(resolved);
            errno = 0;
            return true;
        }
        catch (DecoderFallbackException)
        {
            realPath = null;
            errno = EILSEQ;
            return false;
        }
    }
}

internal static unsafe partial class Native
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial byte* realpath(string path, byte* resolved);
}
