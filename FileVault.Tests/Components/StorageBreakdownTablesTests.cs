using System.Globalization;
using Bunit;
using FileVault.Core.Monitoring;
using FileVault.Web.Components.Pages.Admin.Statistics;

namespace FileVault.Tests.Components;

/// <summary>The storage statistics tables as they render one root's breakdown, in English and Korean.</summary>
public sealed class StorageBreakdownTablesTests : IAsyncLifetime
{
    private readonly BunitContext _bunit = MudTestContext.Create();
    private readonly CultureInfo _previous = CultureInfo.CurrentCulture;
    private readonly CultureInfo _previousUi = CultureInfo.CurrentUICulture;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentCulture = _previous;
        CultureInfo.CurrentUICulture = _previousUi;
        await _bunit.DisposeAsync();
    }

    [Fact]
    public void Types_extensions_folders_and_uploaders_each_get_a_row()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("en-US");

        var tables = Render();

        var types = tables.FindAll("#statistics-types tbody tr");
        Assert.Equal(["Archives", "Other"], types.Select(r => r.QuerySelector("td")!.TextContent));
        Assert.Contains("2 GB", types[0].TextContent, StringComparison.Ordinal);
        var extensions = tables.FindAll("#statistics-extensions tbody tr");
        Assert.Equal([".zip", "(none)", "Other extensions"], extensions.Select(r => r.QuerySelector("td")!.TextContent));
        var folder = Assert.Single(tables.FindAll("#statistics-folders tbody tr"));
        Assert.Equal("/files/3/%EC%98%81%EC%97%85%EB%B6%80/2026", folder.QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("영업부/2026", folder.QuerySelector("a")!.TextContent);
        Assert.Equal(["kim@corp.test", "(deleted user)"], tables.FindAll("#statistics-uploaders tbody tr").Select(r => r.QuerySelector("td")!.TextContent));
    }

    [Fact]
    public void In_korean_the_headings_and_type_names_are_korean_and_no_uploads_says_so()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");

        var tables = Render(uploaders: []);

        Assert.Equal(["압축 파일", "기타"], tables.FindAll("#statistics-types tbody tr").Select(r => r.QuerySelector("td")!.TextContent));
        Assert.Contains("가장 큰 폴더", tables.Markup, StringComparison.Ordinal);
        Assert.Empty(tables.FindAll("#statistics-uploaders"));
        Assert.Contains("업로드한 파일이 없습니다", tables.Find("#statistics-no-uploaders").TextContent, StringComparison.Ordinal);
    }

    private IRenderedComponent<StorageBreakdownTables> Render(IReadOnlyList<UploaderBytes>? uploaders = null)
    {
        var breakdown = new StorageBreakdown(
            [new TypeBytes("Archive", 3, 2L << 30), new TypeBytes("Other", 1, 10)],
            [new ExtensionBytes("zip", 3, 2L << 30), new ExtensionBytes("", 1, 10)],
            new ExtensionBytes("*", 7, 700),
            [new FolderBytes(42, "영업부/2026", 4, 2_000_000_010)],
            uploaders ?? [new UploaderBytes(Guid.NewGuid(), "kim@corp.test", 2, 1_000), new UploaderBytes(Guid.NewGuid(), null, 1, 10)]);
        return _bunit.Render<StorageBreakdownTables>(p => p
            .Add(t => t.Breakdown, breakdown)
            .Add(t => t.TotalBytes, 2_000_000_710L)
            .Add(t => t.RootId, 3));
    }
}
