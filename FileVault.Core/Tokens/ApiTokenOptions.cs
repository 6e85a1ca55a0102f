using System.ComponentModel.DataAnnotations;

namespace FileVault.Core.Tokens;

/// <summary>FileVault:Jwt in appsettings.json: the API's access, refresh and personal access tokens.</summary>
public sealed class ApiTokenOptions
{
    /// <summary>
    /// The HS256 key, at least 32 characters. Leave empty to have FileVault generate one at first start and keep it
    /// in the database (api_signing_keys), shared by every instance. Never commit a key.
    /// </summary>
    public string? SigningKey { get; set; }

    [Required]
    public string Issuer { get; set; } = "filevault";

    [Required]
    public string Audience { get; set; } = "filevault-api";

    /// <summary>At most 15 minutes (R-AUTH-4): revocation by security stamp is checked on every call, expiry bounds the rest.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:15:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    [Range(typeof(TimeSpan), "1.00:00:00", "730.00:00:00")]
    public TimeSpan MaxPersonalTokenLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>When expired and revoked refresh tokens are deleted (cron, UTC).</summary>
    [Required]
    public string RefreshTokenPurgeCron { get; set; } = "45 3 * * *";
}
