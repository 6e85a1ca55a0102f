using System.Text;

namespace FileVault.Core.Search;

/// <summary>
/// What Korean search needs to know about Hangul: the initial consonant (초성) of each syllable, so that <c>ㅎㅇㄹ</c>
/// finds <c>회의록</c>, and the two-set (두벌식) keyboard, so that <c>ghldmlfhr</c>, typed with the English layout on by
/// mistake, can be offered back as <c>회의록</c>.
/// </summary>
/// <remarks>
/// A precomposed syllable is <c>U+AC00 + (initial × 21 + medial) × 28 + final</c>: the syllables sharing an initial
/// are the contiguous range of 588 code points starting at <c>U+AC00 + initial × 588</c>. Initials, medials and finals
/// are written here as compatibility jamo (U+3131–U+3163), the characters a keyboard types on their own.
/// </remarks>
public static class Hangul
{
    private const int SyllableBase = 0xAC00;
    private const int SyllableLast = 0xD7A3;
    private const int SyllablesPerInitial = 21 * 28;

    /// <summary>The 19 initials, in syllable order, as compatibility jamo.</summary>
    private const string Initials = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";

    private static readonly System.Buffers.SearchValues<char> InitialSet = System.Buffers.SearchValues.Create(Initials);

    /// <summary>The 21 medials, in syllable order: U+314F to U+3163.</summary>
    private const string Medials = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ";

    /// <summary>The 27 finals after "none", in syllable order.</summary>
    private const string Finals = "\0ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ";

    /// <summary>Whether <paramref name="c"/> is a precomposed Hangul syllable (가 to 힣).</summary>
    public static bool IsSyllable(char c) => c is >= (char)SyllableBase and <= (char)SyllableLast;

    /// <summary>A syllable's initial consonant (회 → ㅎ), any other code point itself: <see cref="Initialize"/> of one character.</summary>
    public static int InitialOf(int codePoint) =>
        codePoint is >= SyllableBase and <= SyllableLast ? Initials[(codePoint - SyllableBase) / SyllablesPerInitial] : codePoint;

    /// <summary>Whether <paramref name="c"/> is a consonant a syllable can start with (ㄱ, ㄲ, ㄴ … ㅎ).</summary>
    public static bool IsInitialConsonant(char c) => Initials.Contains(c, StringComparison.Ordinal);

    /// <summary>Whether the text holds an initial consonant typed on its own: a 초성 query.</summary>
    public static bool HasInitialConsonant(string text) => text.AsSpan().IndexOfAny(InitialSet) >= 0;

    /// <summary>The first and last syllable starting with <paramref name="initial"/> (ㅎ: 하 to 힣).</summary>
    public static (char First, char Last) SyllablesStartingWith(char initial)
    {
        var index = Initials.IndexOf(initial, StringComparison.Ordinal);
        if (index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "Not an initial consonant.");
        }

        var first = SyllableBase + (index * SyllablesPerInitial);
        return ((char)first, (char)(first + SyllablesPerInitial - 1));
    }

    /// <summary>Each syllable replaced by its initial consonant (회의록 → ㅎㅇㄹ); every other character kept.</summary>
    public static string Initialize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(IsSyllable))
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = IsSyllable(c) ? Initials[(c - SyllableBase) / SyllablesPerInitial] : c;
            }
        });
    }

    /// <summary>
    /// The Hangul a two-set keyboard would have typed for <paramref name="text"/> (<c>ghldmlfhr</c> → <c>회의록</c>),
    /// or null when the letters do not all make whole syllables (so <c>report</c> is left alone). Characters that are
    /// not Latin letters are kept as they are.
    /// </summary>
    public static string? FromEnglishLayout(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var jamo = new List<char>(text.Length);
        var letters = 0;
        foreach (var c in text)
        {
            if (Keyboard(c) is { } typed)
            {
                jamo.Add(typed);
                letters++;
            }
            else if (char.IsAsciiLetter(c))
            {
                return null;
            }
            else
            {
                jamo.Add(c);
            }
        }

        if (letters == 0)
        {
            return null;
        }

        var output = new StringBuilder(jamo.Count);
        var i = 0;
        while (i < jamo.Count)
        {
            var c = jamo[i];
            var initial = Initials.IndexOf(c, StringComparison.Ordinal);
            if (initial < 0 || i + 1 >= jamo.Count || !IsMedial(jamo[i + 1]))
            {
                if (IsJamo(c))
                {
                    // A consonant or vowel left on its own: this was not Korean typed on the wrong layout.
                    return null;
                }

                output.Append(c);
                i++;
                continue;
            }

            var medial = jamo[i + 1];
            i += 2;
            if (i < jamo.Count && CombineMedials(medial, jamo[i]) is { } compound)
            {
                medial = compound;
                i++;
            }

            var final = '\0';
            if (i < jamo.Count && Finals.IndexOf(jamo[i], 1) > 0 && !StartsSyllable(jamo, i))
            {
                final = jamo[i];
                i++;
                if (i < jamo.Count && CombineFinals(final, jamo[i]) is { } cluster && !StartsSyllable(jamo, i))
                {
                    final = cluster;
                    i++;
                }
            }

            output.Append((char)(SyllableBase
                + (((initial * 21) + Medials.IndexOf(medial, StringComparison.Ordinal)) * 28)
                + (final == '\0' ? 0 : Finals.IndexOf(final, 1))));
        }

        return output.ToString();
    }

    private static bool StartsSyllable(List<char> jamo, int i) => i + 1 < jamo.Count && IsMedial(jamo[i + 1]);

    private static bool IsMedial(char c) => c is >= 'ㅏ' and <= 'ㅣ';

    private static bool IsJamo(char c) => c is >= 'ㄱ' and <= 'ㅣ';

    private static char? CombineMedials(char first, char second) => (first, second) switch
    {
        ('ㅗ', 'ㅏ') => 'ㅘ',
        ('ㅗ', 'ㅐ') => 'ㅙ',
        ('ㅗ', 'ㅣ') => 'ㅚ',
        ('ㅜ', 'ㅓ') => 'ㅝ',
        ('ㅜ', 'ㅔ') => 'ㅞ',
        ('ㅜ', 'ㅣ') => 'ㅟ',
        ('ㅡ', 'ㅣ') => 'ㅢ',
        _ => null,
    };

    private static char? CombineFinals(char first, char second) => (first, second) switch
    {
        ('ㄱ', 'ㅅ') => 'ㄳ',
        ('ㄴ', 'ㅈ') => 'ㄵ',
        ('ㄴ', 'ㅎ') => 'ㄶ',
        ('ㄹ', 'ㄱ') => 'ㄺ',
        ('ㄹ', 'ㅁ') => 'ㄻ',
        ('ㄹ', 'ㅂ') => 'ㄼ',
        ('ㄹ', 'ㅅ') => 'ㄽ',
        ('ㄹ', 'ㅌ') => 'ㄾ',
        ('ㄹ', 'ㅍ') => 'ㄿ',
        ('ㄹ', 'ㅎ') => 'ㅀ',
        ('ㅂ', 'ㅅ') => 'ㅄ',
        _ => null,
    };

    /// <summary>The jamo on a key of the two-set layout; shifted keys give the double consonants and ㅒ, ㅖ.</summary>
    private static char? Keyboard(char key) => key switch
    {
        'q' => 'ㅂ', 'w' => 'ㅈ', 'e' => 'ㄷ', 'r' => 'ㄱ', 't' => 'ㅅ', 'y' => 'ㅛ', 'u' => 'ㅕ', 'i' => 'ㅑ', 'o' => 'ㅐ', 'p' => 'ㅔ',
        'a' => 'ㅁ', 's' => 'ㄴ', 'd' => 'ㅇ', 'f' => 'ㄹ', 'g' => 'ㅎ', 'h' => 'ㅗ', 'j' => 'ㅓ', 'k' => 'ㅏ', 'l' => 'ㅣ',
        'z' => 'ㅋ', 'x' => 'ㅌ', 'c' => 'ㅊ', 'v' => 'ㅍ', 'b' => 'ㅠ', 'n' => 'ㅜ', 'm' => 'ㅡ',
        'Q' => 'ㅃ', 'W' => 'ㅉ', 'E' => 'ㄸ', 'R' => 'ㄲ', 'T' => 'ㅆ', 'O' => 'ㅒ', 'P' => 'ㅖ',
        >= 'A' and <= 'Z' => Keyboard(char.ToLowerInvariant(key)),
        _ => null,
    };
}
