namespace FileVault.Core.Access;

/// <summary>What one user may do on one folder or file, after inheritance, denies, roles and read-only roots.</summary>
public readonly record struct EffectivePermissions(Permission Granted)
{
    public static EffectivePermissions None { get; } = new(Permission.None);

    public bool CanRead => Granted.HasFlag(Permission.Read);

    public bool CanWrite => Granted.HasFlag(Permission.Write);

    public bool CanDelete => Granted.HasFlag(Permission.Delete);

    public bool CanManage => Granted.HasFlag(Permission.Manage);

    public bool Has(Permission permission) => permission != Permission.None && (Granted & permission) == permission;
}

/// <summary>Why a permission bit came out as it did.</summary>
public enum DecisionSource
{
    /// <summary>No grant of the user or their groups on the folder or above it mentions the bit.</summary>
    NoGrant,

    /// <summary>The nearest grant that mentions the bit decided (<see cref="PermissionDecision.Grant"/>).</summary>
    Grant,

    /// <summary>Admins and SuperAdmins hold every permission.</summary>
    Administrator,

    /// <summary>The root is read-only: nobody writes or deletes, whatever the grants say.</summary>
    ReadOnlyRoot,

    /// <summary>No storage root with that id, or a path with a spelling no catalog path has.</summary>
    NotFound,
}

/// <summary>The user or group a grant is given to, with a name to show.</summary>
public sealed record GrantPrincipal(Guid? UserId, int? GroupId, string Name)
{
    public bool IsGroup => GroupId is not null;
}

/// <summary>A folder grant as pages and explanations show it.</summary>
public sealed record GrantView(
    long Id, int RootId, string RelativePath, GrantPrincipal Principal, Permission Permissions, GrantEffect Effect, DateTimeOffset CreatedAt);

public sealed record PermissionDecision(Permission Permission, bool Allowed, DecisionSource Source, GrantView? Grant);

/// <summary>Effective permissions with the reason for each of the four bits.</summary>
public sealed record AccessExplanation(EffectivePermissions Effective, IReadOnlyList<PermissionDecision> Decisions);
