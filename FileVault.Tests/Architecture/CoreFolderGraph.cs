using System.Text.RegularExpressions;

namespace FileVault.Tests.Architecture;

/// <summary>Which top-level folders of FileVault.Core depend on which, read from the sources (see <see cref="CoreFolderDependencyTests"/>).</summary>
internal sealed partial class CoreFolderGraph
{
    private const string Excepted = "Data";

    /// <summary>(from, to) → the files of "from" that name "to".</summary>
    public Dictionary<(string From, string To), List<string>> Edges { get; } = [];

    public static CoreFolderGraph Read()
    {
        var files = SourceFiles.Read("FileVault.Core")
            .Where(f => f.Path.Contains('/', StringComparison.Ordinal) && f.Path.EndsWith(".cs", StringComparison.Ordinal))
            .Select(f => (Folder: f.Path[..f.Path.IndexOf('/', StringComparison.Ordinal)], f.Path, f.Code))
            .Where(f => f.Folder != Excepted)
            .ToList();
        var types = files.GroupBy(f => f.Folder)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDeclaration().Matches(f.Code).Select(m => m.Groups[1].Value)).ToHashSet());
        var graph = new CoreFolderGraph();
        foreach (var file in files)
        {
            foreach (var (folder, names) in types)
            {
                if (folder != file.Folder && Depends(file.Code, folder, names))
                {
                    graph.Edges.TryAdd((file.Folder, folder), []);
                    graph.Edges[(file.Folder, folder)].Add(file.Path);
                }
            }
        }

        return graph;
    }

    public static bool Depends(string code, string folder, IReadOnlyCollection<string> typeNames) =>
        Regex.IsMatch(code, $@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?FileVault\.Core\.{folder}\b", RegexOptions.Multiline)
        || code.Contains($"FileVault.Core.{folder}.", StringComparison.Ordinal)
        || (typeNames.Count > 0 && Regex.IsMatch(code, $@"(?<![\w.]){folder}\.({string.Join('|', typeNames)})\b"));

    /// <summary>Each group of folders that reach one another (a strongly connected component of two or more), names sorted.</summary>
    public static List<List<string>> Cycles(IEnumerable<(string From, string To)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToList());
        var nodes = next.Keys.Concat(next.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        var reach = nodes.ToDictionary(n => n, n => Reachable(n, next));
        return nodes
            .Select(n => nodes.Where(m => reach[n].Contains(m) && reach[m].Contains(n)).ToList())
            .Where(group => group.Count > 1)
            .DistinctBy(group => string.Join(",", group))
            .ToList();
    }

    /// <summary>The files behind each edge inside <paramref name="cycle"/>.</summary>
    public IEnumerable<string> Explain(IReadOnlyCollection<string> cycle) =>
        Edges.Where(e => cycle.Contains(e.Key.From) && cycle.Contains(e.Key.To))
            .OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal)
            .Select(e => $"  {e.Key.From} -> {e.Key.To}: {string.Join(", ", e.Value)}");

    private static HashSet<string> Reachable(string start, Dictionary<string, List<string>> next)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>(next.GetValueOrDefault(start) ?? []);
        while (stack.TryPop(out var node))
        {
            if (seen.Add(node))
            {
                foreach (var to in next.GetValueOrDefault(node) ?? [])
                {
                    stack.Push(to);
                }
            }
        }

        return seen;
    }

    [GeneratedRegex(@"\b(?:class|struct|enum|interface|record(?:\s+(?:struct|class))?)\s+(\w+)")]
    private static partial Regex TypeDeclaration();
}
