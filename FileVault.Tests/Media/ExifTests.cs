using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Media;

/// <summary>EXIF into entry_media: filled when a photo's thumbnail is made, served by GET /api/v1/entries/{id}/exif to readers only.</summary>
public sealed class ExifTests(ThumbnailFixture app) : IClassFixture<ThumbnailFixture>
{
    [Fact]
    public async Task Making_a_thumbnail_stores_the_camera_tags_in_typed_columns_and_jsonb()
    {
        using var client = app.Client(app.AdminToken);
        var id = await app.IdAsync("Photos/camera.jpg");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/entries/{id}/thumbnail?size=small")).StatusCode);

        await using var db = app.Database.CreateDbContext();
        var media = await db.EntryMedia.SingleAsync(m => m.EntryId == id);
        Assert.Equal(("Canon", "Canon EOS R5", "RF24-105mm F4 L IS USM"), (media.Make, media.Model, media.Lens));
        Assert.Equal(new DateTime(2026, 11, 20, 14, 30, 15), media.TakenAt);
        Assert.Equal((600, 400, (short)1), (media.Width, media.Height, media.Orientation));
        Assert.Equal(1 / 250.0, media.ExposureSeconds!.Value, 6);
        Assert.Equal((2.8, 200, 50.0), (media.FNumber, media.Iso, media.FocalLengthMm));
        Assert.Equal(37.56, media.Latitude!.Value, 6);
        Assert.Equal(126 + 58 / 60.0 + 46.8 / 3600, media.Longitude!.Value, 6);
        var raw = await db.Database.SqlQuery<string>($"SELECT raw ->> 'Exif IFD0' AS \"Value\" FROM entry_media WHERE entry_id = {id}").SingleAsync();
        Assert.Contains("Canon EOS R5", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_exif_endpoint_answers_a_reader_and_404s_a_user_denied_the_folder()
    {
        using var reader = app.Client(app.ReaderToken);

        var allowed = await reader.GetAsync($"/api/v1/entries/{await app.IdAsync("Photos/camera.jpg")}/exif");
        var denied = await reader.GetAsync($"/api/v1/entries/{await app.IdAsync("Photos/Private/secret.jpg")}/exif");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var photo = await allowed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Canon EOS R5", photo.GetProperty("model").GetString());
        Assert.Equal("RF24-105mm F4 L IS USM", photo.GetProperty("lens").GetString());
        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        var problem = await denied.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("entry.not_found", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("Canon", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_file_has_no_exif()
    {
        using var client = app.Client(app.AdminToken);

        var response = await client.GetAsync($"/api/v1/entries/{await app.IdAsync("Photos/notes.txt")}/exif");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }
}
