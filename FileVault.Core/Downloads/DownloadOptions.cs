using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Downloads;

/// <summary>FileVault:Downloads in appsettings.json.</summary>
public sealed class DownloadOptions
{
    /// <summary>
    /// The directory nginx serves internally at <c>/_protected/</c> (its <c>alias</c>, e.g. <c>/srv/files</c>). When set, a
    /// file under it, asked for through nginx (which marks what it passes on), is answered with X-Accel-Redirect and nginx
    /// sends the bytes; files elsewhere, requests that reach the app directly, and every file when it is unset, are
    /// streamed by the app.
    /// </summary>
    public string? AccelRedirectRoot { get; set; }

    /// <summary>Most items one ZIP download may name; a folder counts once, whatever it holds.</summary>
    [Range(1, 100_000)]
    public int MaxZipItems { get; set; } = 1000;
}
