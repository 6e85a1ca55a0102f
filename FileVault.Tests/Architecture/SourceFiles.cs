using System.Text.RegularExpressions;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Architecture;

/// <summary>The repository's own C# and Razor sources, read as text, with comments taken out.</summary>
internal static partial class SourceFiles
{
    /// <summary>Every .cs and .razor file under <paramref name="project"/>, outside bin/obj, by path relative to the project.</summary>
    public static IEnumerable<(string Path, string Code)> Read(string project, string? except = null)
    {
        var root = Path.Combine(TestEnvironment.RepositoryRoot, project);
        return Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Where(f => except is null || !f.StartsWith(except, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, WithoutComments(File.ReadAllText(Path.Combine(root, f)))));
    }

    /// <summary>Line and block comments blanked (Razor's too), so prose that names a type does not count as using it.</summary>
    public static string WithoutComments(string code) => Comments().Replace(code, "");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@\*.*?\*@", RegexOptions.Singleline)]
    private static partial Regex Comments();
}
