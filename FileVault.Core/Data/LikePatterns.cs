namespace FileVault.Core.Data;

public static class LikePatterns
{
    /// <summary>The escape character of these patterns: pass it to <c>EF.Functions.Like</c>/<c>ILike</c>, whose default is none.</summary>
    public const string Escape = "\\";

    /// <summary>A LIKE/ILIKE pattern matching <paramref name="text"/> anywhere, its wildcards and backslashes escaped.</summary>
    public static string Containing(string text) => "%" + Literal(text) + "%";

    /// <summary>A LIKE/ILIKE pattern matching what starts with <paramref name="text"/>, its wildcards and backslashes escaped.</summary>
    public static string StartingWith(string text) => Literal(text) + "%";

    private static string Literal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
    }
}
