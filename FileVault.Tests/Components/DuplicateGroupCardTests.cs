using System.Globalization;
using Bunit;
using FileVault.Core.Duplicates;
using FileVault.Web.Components.Pages.Admin.Duplicates;
using FileVault.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Components;

/// <summary>A duplicate group on the admin page: its size and savings, hard links marked, and the file chosen to keep.</summary>
public sealed class DuplicateGroupCardTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Modified = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previous = CultureInfo.CurrentUICulture;

    public Task InitializeAsync()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        // The reader's browser is in Seoul; the test machine is not.
        _bunit.WithReaderZone("Asia/Seoul");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = _previous;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public void A_group_says_its_copies_and_savings_and_marks_hard_links()
    {
        var card = Render(Group(), _ => { });

        Assert.Contains("2 copies of 2 MB", card.Markup, StringComparison.Ordinal);
        Assert.Contains("2 MB reclaimable", card.Markup, StringComparison.Ordinal);
        Assert.Equal(3, card.FindAll("tbody tr").Count);
        var rows = card.FindAll("tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains("hard link", rows[0], StringComparison.Ordinal);
        Assert.Contains("hard link", rows[1], StringComparison.Ordinal);
        Assert.DoesNotContain("hard link", rows[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Modified_times_are_on_the_readers_clock()
    {
        var card = Render(Group(), _ => { });

        var seoul = TimeZoneInfo.ConvertTime(Modified, TimeZoneInfo.FindSystemTimeZoneById("Asia/Seoul")).ToString("g", CultureInfo.CurrentCulture);
        card.WaitForAssertion(() => Assert.Equal(seoul, card.FindAll("time")[0].TextContent));
        Assert.NotEqual(Modified.ToString("g", CultureInfo.CurrentCulture), seoul); // 09:00 UTC is 18:00 in Seoul
    }

    [Fact]
    public void Keep_hands_the_chosen_file_to_the_page()
    {
        DuplicateFile? kept = null;
        var card = Render(Group(), file => kept = file);

        card.Find("#keep-12").Click();

        Assert.Equal("영업부/보고서.pdf", kept?.Path);
    }

    private IRenderedComponent<DuplicateGroupCard> Render(DuplicateGroup group, Action<DuplicateFile> keep) =>
        _bunit.Render<DuplicateGroupCard>(parameters => parameters
            .Add(p => p.Group, group)
            .Add(p => p.OnKeep, keep));

    private static DuplicateGroup Group() => new("ab12cd34ef56ab12cd34ef56", 2 * 1024 * 1024, 2,
    [
        new DuplicateFile(10, 1, "공유", "백업/보고서.pdf", "보고서.pdf", Modified, 5, 100),
        new DuplicateFile(11, 1, "공유", "백업/링크.pdf", "링크.pdf", Modified, 5, 100),
        new DuplicateFile(12, 1, "공유", "영업부/보고서.pdf", "보고서.pdf", Modified, 5, 200),
    ]);
}
