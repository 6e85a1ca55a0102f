namespace FileVault.Core.Access;

/// <summary>What a folder grant gives (or, as a deny, takes away) on a folder and everything below it.</summary>
[Flags]
public enum Permission
{
    None = 0,

    /// <summary>List, search, download, thumbnails.</summary>
    Read = 1,

    /// <summary>Upload, create folders, rename, move or copy into.</summary>
    Write = 2,

    /// <summary>Move to the trash, restore one's own.</summary>
    Delete = 4,

    /// <summary>Edit the grants on the folder and below it.</summary>
    Manage = 8,

    All = Read | Write | Delete | Manage,
}

public enum GrantEffect : short
{
    Allow = 0,

    /// <summary>Overrides an allow inherited from above, and an allow on the same folder.</summary>
    Deny = 1,
}

public static class PermissionBits
{
    /// <summary>The four single permissions, in the order pages show them.</summary>
    public static IReadOnlyList<Permission> Each { get; } = [Permission.Read, Permission.Write, Permission.Delete, Permission.Manage];
}
