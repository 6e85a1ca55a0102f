using FileVault.Core.Search;

namespace FileVault.Tests.Search;

/// <summary>The index row's tokens, computed without allocating, are exactly the tokens of their definitions.</summary>
public sealed class SearchTokensTests
{
    [Theory]
    [InlineData(7, "영업부/2024/회의록_최종.hwp", "회의록_최종.hwp", "hwp", false)]
    [InlineData(7, "영업부/2024", "2024", null, true)]
    [InlineData(12345, "a", "a", null, true)]
    [InlineData(1, "", "", null, true)]
    [InlineData(-3, "/leading/slash.txt", "slash.txt", "txt", false)]
    [InlineData(2, "x//y/😀 사진 ㅎㅇㄹ.jpeg", "😀 사진 ㅎㅇㄹ.jpeg", "jpeg", false)]
    public void An_entrys_tokens_are_its_names_and_one_for_each_folder_it_is_in(int root, string path, string nameKey, string? extension, bool isFolder)
    {
        Assert.Equal(Reference(root, path, nameKey, extension, isFolder), SearchTokens.OfEntry(root, path, nameKey, extension, isFolder));
    }

    [Fact]
    public void Random_names_and_paths_give_the_tokens_of_the_definitions()
    {
        var random = new Random(14);
        const string alphabet = "ab_-. /0가각힣회의록ㅎㄱ😀\u0301";
        for (var i = 0; i < 2_000; i++)
        {
            var path = new string([.. Enumerable.Range(0, random.Next(0, 80)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            // Long names go past the stack buffer into a pooled one.
            var name = new string([.. Enumerable.Range(0, random.Next(0, i % 10 == 0 ? 300 : 40)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var extension = random.Next(3) == 0 ? null : name[Math.Max(0, name.Length - 3)..];
            var isFolder = random.Next(2) == 0;
            var root = random.Next(-5, 100_000);
            Assert.Equal(Reference(root, path, name, extension, isFolder), SearchTokens.OfEntry(root, path, name, extension, isFolder));
        }
    }

    /// <summary>The tokens as docs/search.md defines them: the name's, and <see cref="SearchTokens.In"/> of each folder on the path.</summary>
    private static int[] Reference(int root, string path, string nameKey, string? extension, bool isFolder)
    {
        var tokens = new HashSet<int>(SearchTokens.OfName(nameKey, extension, isFolder));
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            tokens.Add(SearchTokens.In(root, path[..slash]));
        }

        if (isFolder && path.Length > 0)
        {
            tokens.Add(SearchTokens.In(root, path));
        }

        return [.. tokens.Order()];
    }
}
