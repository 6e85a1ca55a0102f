using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using FileVault.Core.Catalog;

namespace FileVault.Web.Endpoints;

/// <summary>How a download names and protects its content (R-DL-1, R-DL-2), and how nginx is told to send a file.</summary>
public static class DownloadHeaders
{
    /// <summary>nginx's internal location for X-Accel-Redirect (nginx.conf).</summary>
    public const string AccelRedirectPrefix = "/_protected/";

    /// <summary>
    /// Set by nginx on every request it passes on (nginx.conf): only such a request can be answered with X-Accel-Redirect.
    /// One that reached the app directly (a health probe, a script on the app's port) gets the bytes, never an empty 200.
    /// A client that sends it itself gets an empty answer, nothing more.
    /// </summary>
    public const string AccelCapableHeader = "X-FileVault-Accel";

    // Raster formats a browser shows as an image and never runs; SVG, HTML and PDF are always attachments.
    private static readonly FrozenSet<string> InlineImageTypes =
        new[] { "image/jpeg", "image/png", "image/gif", "image/webp" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool IsInlineImage(string? mimeType) => mimeType is not null && InlineImageTypes.Contains(mimeType);

    /// <summary>
    /// <c>attachment; filename="&lt;ASCII fallback&gt;"; filename*=UTF-8''&lt;percent-encoded&gt;</c> (RFC 6266, RFC 8187)
    /// for any name a disk can hold. The fallback keeps printable ASCII except <c>" \ % ;</c> and makes everything else
    /// "_"; the UTF-8 form percent-encodes every byte that is not an RFC 8187 attr-char. So quotes, semicolons, percent
    /// signs, CR, LF and Korean never reach the header raw and it is never split; browsers take the exact name from
    /// <c>filename*</c>.
    /// </summary>
    public static string ContentDisposition(string name, bool inline = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        var fallback = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            fallback.Append(rune.Value is >= 0x20 and < 0x7F and not '"' and not '\\' and not '%' and not ';' ? (char)rune.Value : '_');
        }

        var encoded = new StringBuilder(name.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            if (IsAttrChar(b))
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return $"{(inline ? "inline" : "attachment")}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}";
    }

    /// <summary>The X-Accel-Redirect URI of a file at <paramref name="relativePath"/> under nginx's files: every name percent-encoded, so '#', '?', '%', spaces and Korean arrive as they are (nginx decodes it once).</summary>
    public static string AccelRedirectUri(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        return AccelRedirectPrefix + string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString));
    }

    /// <summary>The headers every download carries: its name, no sniffing, no script even if a browser renders it, no shared cache.</summary>
    public static void Apply(HttpResponse response, string name, bool inline = false)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        // In NFC: a browser saves under this name, and Windows would show a Mac's NFD name as loose jamo.
        headers.ContentDisposition = ContentDisposition(EntryName.Portable(name), inline);
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox";
        // Permissions can change: a cache revalidates (ETag), and only the user's own browser keeps a copy.
        headers.CacheControl = "private, no-cache";
    }

    // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
    private static bool IsAttrChar(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'&' or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`'
            or (byte)'|' or (byte)'~';
}
