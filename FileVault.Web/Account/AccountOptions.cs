using System.ComponentModel.DataAnnotations;

namespace FileVault.Web.Account;

/// <summary>FileVault:Security in appsettings.json.</summary>
public sealed class AccountOptions
{
    /// <summary>How often open circuits and sign-in cookies re-check their user (R-AUTH-4/5: at most a minute).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:01:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 1440)]
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Open windows (Blazor circuits) one user may hold in one app process (R-BLAZOR-1); the next gets a "too many windows" page.</summary>
    [Range(1, 1000)]
    public int MaxCircuitsPerUser { get; set; } = 20;
}
