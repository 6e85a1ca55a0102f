using Bunit;
using FileVault.Core.Catalog;
using FileVault.Web.Components.Pages.Files;

namespace FileVault.Tests.Components;

/// <summary>The file browser's thumbnail: a lazy image for pictures, the type icon for the rest and for a picture that fails.</summary>
public sealed class EntryThumbnailTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Modified = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _bunit = MudTestContext.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bunit.DisposeAsync();

    [Fact]
    public void A_photo_in_the_grid_is_a_lazy_thumbnail_with_a_sharper_one_for_dense_screens()
    {
        var tile = Render(42, "jpg", grid: true);

        var image = tile.Find("img.fv-thumb");
        Assert.Equal("lazy", image.GetAttribute("loading"));
        Assert.StartsWith("/api/v1/entries/42/thumbnail?size=small&v=", image.GetAttribute("src"), StringComparison.Ordinal);
        Assert.Contains("/api/v1/entries/42/thumbnail?size=medium", image.GetAttribute("srcset"), StringComparison.Ordinal);
        Assert.Empty(tile.FindAll(".mud-icon-root"));
    }

    [Fact]
    public void A_photo_whose_thumbnail_fails_shows_its_type_icon()
    {
        var row = Render(42, "png", grid: false);

        row.Find("img.fv-thumb").TriggerEvent("onerror", new Microsoft.AspNetCore.Components.Web.ErrorEventArgs());

        Assert.Empty(row.FindAll("img"));
        Assert.Single(row.FindAll(".mud-icon-root"));
    }

    [Theory]
    [InlineData("txt")]
    [InlineData("heic")]
    [InlineData(null)]
    public void Other_files_keep_their_type_icon(string? extension)
    {
        var row = Render(7, extension, grid: false);

        Assert.Empty(row.FindAll("img"));
        Assert.Single(row.FindAll(".mud-icon-root"));
    }

    private IRenderedComponent<EntryThumbnail> Render(long id, string? extension, bool grid) =>
        _bunit.Render<EntryThumbnail>(parameters => parameters
            .Add(p => p.EntryId, id)
            .Add(p => p.Kind, EntryKind.File)
            .Add(p => p.Extension, extension)
            .Add(p => p.ModifiedAt, Modified)
            .Add(p => p.Length, 1234L)
            .Add(p => p.Grid, grid));
}
