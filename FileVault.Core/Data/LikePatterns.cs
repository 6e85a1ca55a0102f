namespace FileVault.Core.Data;

public static class LikePatterns
{
    /// <summary>A LIKE/ILIKE pattern matching <paramref name="text"/> anywhere, its wildcards and backslashes escaped.</summary>
    public static string Containing(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
    }
}
