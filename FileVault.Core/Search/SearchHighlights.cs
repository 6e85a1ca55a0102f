using System.Globalization;
using System.Text;
using FileVault.Core.Catalog;

namespace FileVault.Core.Search;

/// <summary>
/// Where searched words appear in a name or a description as it is stored, for highlighting. Words are matched on the
/// text's NFC, lower-cased form, one user-perceived character (grapheme cluster) at a time, and the spans given back are
/// in the stored text: in an NFD name from a Mac, "보고서" covers the nine jamo that spell it.
/// </summary>
public static class SearchHighlights
{
    private const int SnippetLength = 160;

    // How much of the description comes before the first match: enough to read the match in its sentence.
    private const int SnippetLead = 50;

    /// <summary>The spans of <paramref name="text"/> that hold one of <paramref name="keys"/> (NFC, lower-case), in order, merged where they touch.</summary>
    public static IReadOnlyList<TextSpan> Find(string text, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0 || text.Length == 0)
        {
            return [];
        }

        var folded = Fold(text);
        var marked = new bool[folded.Clusters.Count - 1];
        foreach (var key in keys.Where(k => k.Length > 0))
        {
            for (var at = folded.Text.IndexOf(key, StringComparison.Ordinal); at >= 0; at = folded.Text.IndexOf(key, at + 1, StringComparison.Ordinal))
            {
                for (var c = 0; c < marked.Length; c++)
                {
                    // A cluster overlapping the match is highlighted whole.
                    marked[c] |= folded.Clusters[c].Folded < at + key.Length && folded.Clusters[c + 1].Folded > at;
                }
            }
        }

        var spans = new List<TextSpan>();
        for (var c = 0; c < marked.Length; c++)
        {
            if (!marked[c])
            {
                continue;
            }

            var start = c;
            while (c + 1 < marked.Length && marked[c + 1])
            {
                c++;
            }

            spans.Add(new TextSpan(folded.Clusters[start].Original, folded.Clusters[c + 1].Original - folded.Clusters[start].Original));
        }

        return spans;
    }

    /// <summary>
    /// About <see cref="SnippetLength"/> characters of a description: from a little before the first searched word it
    /// holds, or from its start; "…" marks a cut. Null for no description.
    /// </summary>
    public static string? Snippet(string? description, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (string.IsNullOrWhiteSpace(description))
        {
            return null;
        }

        var text = description.Trim();
        if (text.Length <= SnippetLength)
        {
            return text;
        }

        var first = Find(text, keys) is [var match, ..] ? match.Start : 0;
        var clusters = Fold(text).Clusters;
        // Cut on character boundaries: never half a syllable or a surrogate pair.
        var start = clusters.LastOrDefault(c => c.Original <= Math.Max(0, first - SnippetLead)).Original;
        var end = clusters.LastOrDefault(c => c.Original <= Math.Min(text.Length, start + SnippetLength)).Original;
        return (start > 0 ? "…" : "") + text[start..end].Trim() + (end < text.Length ? "…" : "");
    }

    /// <summary>The text folded cluster by cluster, with where each cluster starts in the original and in the fold (and a final end marker).</summary>
    private static (string Text, List<(int Original, int Folded)> Clusters) Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        var clusters = new List<(int Original, int Folded)>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            var length = StringInfo.GetNextTextElementLength(text, i);
            clusters.Add((i, folded.Length));
            folded.Append(EntryName.Key(text.Substring(i, length)));
            i += length;
        }

        clusters.Add((text.Length, folded.Length));
        return (folded.ToString(), clusters);
    }
}
