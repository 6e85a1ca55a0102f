using System.Text;
using FileVault.Core.Catalog;
using FileVault.Core.Search;

namespace FileVault.Tests.Search;

/// <summary>초성 and the two-set keyboard, and the name tokens built on them.</summary>
public sealed class HangulTests
{
    [Theory]
    [InlineData("회의록", "ㅎㅇㄹ")]
    [InlineData("보고서_2025.pdf", "ㅂㄱㅅ_2025.pdf")]
    [InlineData("report", "report")]
    [InlineData("까치 ㄱ", "ㄲㅊ ㄱ")]
    public void Initials_replace_each_syllable_and_keep_everything_else(string text, string expected) =>
        Assert.Equal(expected, Hangul.Initialize(text));

    [Theory]
    [InlineData("ghldmlfhr", "회의록")]
    [InlineData("qhrhtj", "보고서")]
    [InlineData("dkssudgktpdy", "안녕하세요")]
    [InlineData("rkqt", "값")]
    [InlineData("ekfrrkwl", "닭가지")]
    [InlineData("ghldmlfhr 2025", "회의록 2025")]
    [InlineData("Rkcl", "까치")]
    public void Letters_typed_with_the_english_layout_on_become_the_hangul_meant(string typed, string expected) =>
        Assert.Equal(expected, Hangul.FromEnglishLayout(typed));

    [Theory]
    [InlineData("report")]
    [InlineData("final")]
    [InlineData("2025")]
    [InlineData("회의록")]
    public void English_words_and_text_without_letters_are_not_offered_as_hangul(string typed) =>
        Assert.Null(Hangul.FromEnglishLayout(typed));

    [Fact]
    public void The_syllables_of_an_initial_are_one_contiguous_range()
    {
        Assert.Equal(('하', '힣'), Hangul.SyllablesStartingWith('ㅎ'));
        Assert.Equal(('가', '깋'), Hangul.SyllablesStartingWith('ㄱ'));
        Assert.Throws<ArgumentOutOfRangeException>(() => Hangul.SyllablesStartingWith('ㅏ'));
    }

    [Theory]
    [InlineData("회의록_2025.hwp", "회의")]
    [InlineData("회의록_2025.hwp", "의록_2")]
    [InlineData("회의록_2025.hwp", "ㅎㅇㄹ")]
    [InlineData("회의록_2025.hwp", "회ㅇ")]
    [InlineData("회의록_2025.hwp", "ㅇㄹ_2")]
    [InlineData("회의록_2025.hwp", "록")]
    [InlineData("report 😀 final.txt", "😀 f")]
    [InlineData("ㅋㅋ웃김.txt", "ㅋㅋ")]
    public void A_name_holds_every_token_of_a_word_it_contains(string name, string word)
    {
        var key = EntryName.Key(name.Normalize(NormalizationForm.FormD));
        var tokens = SearchTokens.OfName(key, EntryName.Extension(name));
        Assert.Subset(tokens.ToHashSet(), SearchTokens.OfWord(EntryName.Key(word)).ToHashSet());
    }

    [Theory]
    [InlineData("회의록.hwp", "회계")]
    [InlineData("회의록.hwp", "ㅎㄱ")]
    [InlineData("report.txt", "rpt")]
    public void A_name_lacks_a_token_of_a_word_it_does_not_contain(string name, string word)
    {
        var tokens = SearchTokens.OfName(EntryName.Key(name), EntryName.Extension(name)).ToHashSet();
        Assert.False(tokens.IsSupersetOf(SearchTokens.OfWord(EntryName.Key(word))));
    }

    [Fact]
    public void Extension_and_folder_tokens_are_stable_and_distinct()
    {
        Assert.Equal(SearchTokens.OfExtension("pdf"), SearchTokens.OfExtension("pdf"));
        Assert.NotEqual(SearchTokens.OfExtension("pdf"), SearchTokens.OfExtension("pdg"));
        Assert.Contains(SearchTokens.Folder, SearchTokens.OfName("보고서", null, isFolder: true));
        Assert.DoesNotContain(SearchTokens.Folder, SearchTokens.OfName("보고서", null));
        // The value is part of the index on disk: a change needs every entry queued again.
        Assert.Equal(unchecked((int)0xBCF4ACE0), SearchTokens.OfWord("보고").Single(t => !SearchTokens.IsCharacter(t)));
    }

    [Fact]
    public void An_entry_holds_a_token_for_each_folder_it_is_in_and_a_folder_its_own()
    {
        var file = SearchTokens.OfEntry(7, "영업부/2024/보고서.pdf", "보고서.pdf", "pdf", isFolder: false);
        Assert.Contains(SearchTokens.In(7, "영업부"), file);
        Assert.Contains(SearchTokens.In(7, "영업부/2024"), file);
        Assert.DoesNotContain(SearchTokens.In(7, "영업부/2024/보고서.pdf"), file);
        Assert.DoesNotContain(SearchTokens.In(8, "영업부"), file);
        Assert.DoesNotContain(SearchTokens.In(7, "영업부-old"), file);
        Assert.Subset(file.ToHashSet(), SearchTokens.OfName("보고서.pdf", "pdf").ToHashSet());

        var folder = SearchTokens.OfEntry(7, "영업부/2024", "2024", null, isFolder: true);
        Assert.Contains(SearchTokens.In(7, "영업부"), folder);
        Assert.Contains(SearchTokens.In(7, "영업부/2024"), folder);
        // A top-level file is in no folder but the root, which has no token (every row of the root would hold it).
        Assert.Equal(SearchTokens.OfName("readme.txt", "txt"), SearchTokens.OfEntry(7, "readme.txt", "readme.txt", "txt", isFolder: false));
        // Paths are the catalog's, byte for byte: a Mac's NFD folder name is another folder than its NFC spelling.
        Assert.NotEqual(SearchTokens.In(7, "영업부"), SearchTokens.In(7, "영업부".Normalize(System.Text.NormalizationForm.FormD)));
    }
}
