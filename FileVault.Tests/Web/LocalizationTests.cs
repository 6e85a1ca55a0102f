using System.Xml.Linq;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Web;

public sealed class LocalizationTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Theory]
    [InlineData("ko-KR,ko;q=0.9", "로그인", "lang=\"ko\"")]
    [InlineData("ko", "로그인", "lang=\"ko\"")]
    [InlineData("en-US,en;q=0.9", "Sign in", "lang=\"en\"")]
    [InlineData("fr-FR", "Sign in", "lang=\"en\"")]
    public async Task Sign_in_page_speaks_the_browser_language_with_english_as_default(string acceptLanguage, string expected, string lang)
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient(acceptLanguage);

        var html = await client.GetStringAsync("/account/login");

        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.Contains(lang, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Language_switch_sets_a_cookie_that_beats_the_browser_language()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient("en-US");

        var set = await client.GetAsync("/culture/set?culture=ko&returnUrl=%2Faccount%2Flogin");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal("/account/login", set.Headers.Location!.OriginalString);

        Assert.Contains("lang=\"ko\"", await client.GetStringAsync("/account/login"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Language_switch_rejects_unknown_cultures_and_foreign_return_urls()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await client.GetAsync("/culture/set?culture=xx&returnUrl=%2F")).StatusCode);
        var foreign = await client.GetAsync("/culture/set?culture=en&returnUrl=%2F%2Fevil.example%2F");
        Assert.Equal("/", foreign.Headers.Location!.OriginalString);
    }

    [Fact]
    public void Korean_and_English_resources_have_the_same_keys_and_no_empty_values()
    {
        var english = ReadResx("SharedResource.en.resx");
        var korean = ReadResx("SharedResource.ko.resx");

        Assert.Equal(english.Keys.Order(), korean.Keys.Order());
        Assert.All(english.Concat(korean), pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), pair.Key));
        Assert.Contains(korean.Values, v => v.Any(c => c is >= '가' and <= '힣'));
    }

    private static Dictionary<string, string> ReadResx(string fileName)
    {
        var path = Path.Combine(RepositoryRoot(), "FileVault.Web", "Resources", fileName);
        return XDocument.Load(path).Root!.Elements("data")
            .ToDictionary(e => e.Attribute("name")!.Value, e => e.Element("value")!.Value);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FileVault.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FileVault.sln not found above " + AppContext.BaseDirectory);
    }
}
