namespace FileVault.Core.Access;

/// <summary>The fixed roles. SuperAdmin manages Admins; Admin manages everything else; DeskStaff runs the device desk.</summary>
public static class Roles
{
    public const string SuperAdmin = nameof(SuperAdmin);
    public const string Admin = nameof(Admin);
    public const string User = nameof(User);
    public const string DeskStaff = nameof(DeskStaff);

    public static IReadOnlyList<string> All { get; } = [SuperAdmin, Admin, User, DeskStaff];
}

/// <summary>Authorization policies shared by pages, endpoints and navigation.</summary>
public static class Policies
{
    /// <summary>Browse, search, trash and jobs: employees and admins.</summary>
    public const string Files = nameof(Files);

    /// <summary>User administration, storage roots, monitoring.</summary>
    public const string Admin = nameof(Admin);

    /// <summary>The device desk: desk staff and admins.</summary>
    public const string Desk = nameof(Desk);

    public static IReadOnlyList<string> FilesRoles { get; } = [Roles.SuperAdmin, Roles.Admin, Roles.User];
    public static IReadOnlyList<string> AdminRoles { get; } = [Roles.SuperAdmin, Roles.Admin];
    public static IReadOnlyList<string> DeskRoles { get; } = [Roles.SuperAdmin, Roles.Admin, Roles.DeskStaff];
}
