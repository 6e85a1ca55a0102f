namespace FileVault.Core.Access;

/// <summary>The errors the access services share.</summary>
public static class AccessErrors
{
    public static Error Forbidden(string what) => new("auth.forbidden", $"Not allowed: {what}.");

    public static Error UserNotFound(Guid userId) => new("user.not_found", $"No user {userId}.");

    public static Error GroupNotFound(int groupId) => new("group.not_found", $"No group {groupId}.");
}
