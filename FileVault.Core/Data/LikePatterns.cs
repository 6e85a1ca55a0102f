namespace FileVault.Core.Data;

public static class LikePatterns
{
    /// <summary>The escape character of <see cref="Containing"/>'s patterns: pass it to <c>EF.Functions.ILike</c>, whose default is none.</summary>
    public const string Escape = "\\";

    /// <summary>A LIKE/ILIKE pattern matching <paramref name="text"/> anywhere, its wildcards and backslashes escaped.</summary>
    public static string Containing(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
    }
}
