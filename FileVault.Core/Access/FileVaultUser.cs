using Microsoft.AspNetCore.Identity;

namespace FileVault.Core.Access;

/// <summary>A person who signs in to FileVault.</summary>
public class FileVaultUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";

    public bool IsDisabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
