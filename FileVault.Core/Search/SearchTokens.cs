using System.Text;

namespace FileVault.Core.Search;

/// <summary>
/// The tokens of the name index (<c>entry_search.tokens</c>, a GIN-indexed <c>int[]</c>): every character and every
/// pair of adjacent characters of a name key, the same of its 초성 form (회의록 → ㅎㅇㄹ), and its extension. A name
/// holding a word holds every token of the word, so <c>tokens @&gt; word tokens</c> narrows a search to candidates
/// that the exact test (LIKE, or a regular expression for 초성) then confirms.
/// </summary>
/// <remarks>
/// Pairs, not trigrams, because Korean words are often one or two syllables, where trigrams have nothing to index.
/// A token is the code point itself for a character, and <c>first &lt;&lt; 16 | second</c> for a pair of characters of
/// the Basic Multilingual Plane (exact, and never equal to a character's token, as <c>first</c> is never 0). Pairs
/// outside it and extensions are hashed; a collision only adds a candidate, which the exact test removes. Tokens are
/// computed here, not in SQL, by the index job (<see cref="SearchIndexer"/>) and by the query: one definition.
/// </remarks>
public static class SearchTokens
{
    /// <summary>The tokens of a name key (NFC, lower-case: <see cref="Catalog.EntryName.Key"/>) and its extension.</summary>
    public static int[] OfName(string nameKey, string? extension, bool isFolder = false)
    {
        ArgumentNullException.ThrowIfNull(nameKey);
        var tokens = new HashSet<int>();
        AddGrams(nameKey, tokens);
        var initials = Hangul.Initialize(nameKey);
        if (!ReferenceEquals(initials, nameKey))
        {
            AddGrams(initials, tokens);
        }

        if (extension is not null)
        {
            tokens.Add(OfExtension(extension));
        }

        if (isFolder)
        {
            tokens.Add(Folder);
        }

        var array = tokens.ToArray();
        Array.Sort(array);
        return array;
    }

    /// <summary>
    /// The tokens of an index row: its name's (<see cref="OfName"/>) and one for each folder it is in or is
    /// (<see cref="In"/>): <c>영업부/2024/보고서.pdf</c> holds <c>In(root, "영업부")</c> and <c>In(root, "영업부/2024")</c>,
    /// the folder <c>영업부/2024</c> holds both as well. So "a word, inside these folders" is one GIN condition, and a
    /// User's search or a folder scope reads from the table only the matches inside them.
    /// </summary>
    /// <remarks>
    /// The index job computes this for every row of a rebuild (a million at a first scan), so it allocates only the
    /// array it returns: tokens gather in a stack (or pooled) buffer, and the folders' hashes run along the path once,
    /// FNV-1a being a running hash (the hash of <c>영업부/2024</c> continues the hash of <c>영업부</c>). It gives exactly
    /// the tokens of <see cref="OfName"/> and <see cref="In"/>, the definitions (a test checks them against each other).
    /// </remarks>
    public static int[] OfEntry(int rootId, string relativePath, string nameKey, string? extension, bool isFolder)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        ArgumentNullException.ThrowIfNull(nameKey);
        // A character and a pair per UTF-16 unit of the name, again for its 초성 form; the extension, the folder token,
        // and a folder per character of the path at most.
        var most = (4 * nameKey.Length) + relativePath.Length + 3;
        int[]? rented = null;
        var buffer = most <= 256 ? stackalloc int[256] : (rented = System.Buffers.ArrayPool<int>.Shared.Rent(most));
        try
        {
            var count = AddGrams(nameKey, buffer, initials: false, out var hasSyllable);
            if (hasSyllable)
            {
                count += AddGrams(nameKey, buffer[count..], initials: true, out _);
            }

            if (extension is not null)
            {
                buffer[count++] = unchecked((int)Continue(ExtensionSeed, extension));
            }

            if (isFolder)
            {
                buffer[count++] = Folder;
            }

            count += AddFolders(rootId, relativePath, isFolder, buffer[count..]);
            var tokens = buffer[..count];
            tokens.Sort();
            var distinct = 0;
            for (var i = 0; i < tokens.Length; i++)
            {
                if (distinct == 0 || tokens[i] != tokens[distinct - 1])
                {
                    tokens[distinct++] = tokens[i];
                }
            }

            return tokens[..distinct].ToArray();
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The characters and pairs of a name key, or of its 초성 form; whether it holds a syllable.</summary>
    private static int AddGrams(string nameKey, Span<int> tokens, bool initials, out bool hasSyllable)
    {
        var count = 0;
        var previous = -1;
        hasSyllable = false;
        foreach (var rune in nameKey.EnumerateRunes())
        {
            var current = initials ? Hangul.InitialOf(rune.Value) : rune.Value;
            hasSyllable |= current != Hangul.InitialOf(current);
            tokens[count++] = current;
            if (previous >= 0)
            {
                tokens[count++] = Pair(previous, current);
            }

            previous = current;
        }

        return count;
    }

    /// <summary><see cref="In"/> of each folder the path is in (and of the path itself for a folder), hashed along the path once.</summary>
    private static int AddFolders(int rootId, string relativePath, bool isFolder, Span<int> tokens)
    {
        Span<char> digits = stackalloc char[11];
        rootId.TryFormat(digits, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        var hash = Continue(Continue(Continue(FnvOffset, "\u0001in:"), digits[..written]), ":");
        var count = 0;
        // A path that starts with "/" has no folder before it: as In over relativePath[..slash] for each slash past 0,
        // which stops at a first slash at 0.
        var folders = relativePath.Length == 0 || relativePath[0] != '/';
        for (var i = 0; i < relativePath.Length; i++)
        {
            var c = relativePath[i];
            if (c == '/' && folders)
            {
                tokens[count++] = unchecked((int)hash);
            }

            hash = (hash ^ c) * FnvPrime;
        }

        if (isFolder && relativePath.Length > 0)
        {
            tokens[count++] = unchecked((int)hash);
        }

        return count;
    }

    /// <summary>
    /// The token of everything at or below a folder (not a root's "": that would be every row of the root). The path is
    /// the catalog's, byte for byte, as grants and folder scopes hold it. A hash: a collision only adds candidates, and the
    /// exact path conditions that every plan keeps remove them.
    /// </summary>
    public static int In(int rootId, string folderPath)
    {
        ArgumentNullException.ThrowIfNull(folderPath);
        return Hash("\u0001in:" + rootId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + folderPath);
    }

    /// <summary>The token every folder has: "only folders" read from the index.</summary>
    public static int Folder { get; } = Hash("\u0001kind:folder");

    /// <summary>Whether a token stands for one character (rather than a pair, an extension or the folder token).</summary>
    public static bool IsCharacter(int token) => token is > 0 and <= 0x10FFFF;

    /// <summary>
    /// What a name must hold to contain <paramref name="wordKey"/> (lower-case NFC). A word with initial consonants
    /// typed alone (ㅎㅇㄹ, 회ㅇ) asks for the 초성 form's tokens and the exact tokens of its other characters.
    /// </summary>
    public static int[] OfWord(string wordKey)
    {
        ArgumentNullException.ThrowIfNull(wordKey);
        var tokens = new HashSet<int>();
        if (!Hangul.HasInitialConsonant(wordKey))
        {
            AddGrams(wordKey, tokens);
        }
        else
        {
            AddGrams(Hangul.Initialize(wordKey), tokens);
            // Each run of characters that are not lone consonants must appear exactly as typed.
            var start = 0;
            for (var i = 0; i <= wordKey.Length; i++)
            {
                if (i == wordKey.Length || Hangul.IsInitialConsonant(wordKey[i]))
                {
                    if (i > start)
                    {
                        AddGrams(wordKey[start..i], tokens);
                    }

                    start = i + 1;
                }
            }
        }

        var array = tokens.ToArray();
        Array.Sort(array);
        return array;
    }

    /// <summary>The token of a file extension (lower-case, without the dot).</summary>
    public static int OfExtension(string extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        return Hash("\u0001ext:" + extension);
    }

    private const uint FnvOffset = 2166136261u;

    private const uint FnvPrime = 16777619u;

    private static readonly uint ExtensionSeed = Continue(FnvOffset, "\u0001ext:");

    /// <summary>FNV-1a over the UTF-16 units: stable across processes and versions, unlike <see cref="string.GetHashCode()"/>.</summary>
    private static int Hash(string text) => unchecked((int)Continue(FnvOffset, text));

    /// <summary>FNV-1a carried on over more text: the hash of a text is the hash of its start continued over the rest.</summary>
    private static uint Continue(uint hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return hash;
    }

    private static void AddGrams(string text, HashSet<int> tokens)
    {
        var previous = -1;
        foreach (var rune in text.EnumerateRunes())
        {
            var current = rune.Value;
            tokens.Add(current);
            if (previous >= 0)
            {
                tokens.Add(Pair(previous, current));
            }

            previous = current;
        }
    }

    private static int Pair(int first, int second)
    {
        if (first <= 0xFFFF && second <= 0xFFFF)
        {
            return unchecked((int)(((uint)first << 16) | (uint)second));
        }

        return unchecked((int)((((uint)first << 16) | (uint)(second & 0xFFFF)) ^ ((uint)second >> 16) * 0x9E3779B1u));
    }
}
