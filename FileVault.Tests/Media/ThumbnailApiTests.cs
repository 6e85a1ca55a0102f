using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Media;
using FileVault.Core.Tokens;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using FileVault.Core.Redis;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using StackExchange.Redis;

namespace FileVault.Tests.Media;

/// <summary>GET /api/v1/entries/{id}/thumbnail: sizes, validators, the Redis cache by content version, access, and bad images.</summary>
public sealed class ThumbnailApiTests(ThumbnailFixture app) : IClassFixture<ThumbnailFixture>
{
    private ThumbnailStore Store => app.Services.GetRequiredService<ThumbnailStore>();

    [Theory]
    [InlineData("small", 150, 100)]
    [InlineData("medium", 300, 200)]
    [InlineData("large", 800, 533)]
    public async Task Each_size_comes_as_webp_with_private_caching_and_no_sniffing(string size, int width, int height)
    {
        using var client = app.Client(app.AdminToken);

        var response = await client.GetAsync(await app.UrlAsync("Photos/wide.jpg", size));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.True(response.Headers.CacheControl!.Private);
        Assert.Equal(TimeSpan.FromDays(1), response.Headers.CacheControl.MaxAge);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task An_exif_rotated_photo_comes_upright()
    {
        using var client = app.Client(app.AdminToken);

        var response = await client.GetAsync(await app.UrlAsync("Photos/rotated.jpg"));

        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((75, 150), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public async Task If_none_match_with_the_current_tag_is_304_without_making_anything()
    {
        using var client = app.Client(app.AdminToken);
        var url = await app.UrlAsync("Photos/wide.jpg", "medium");
        var first = await client.GetAsync(url);
        var made = Store.Generated;

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var response = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.ETag, response.Headers.ETag);
        Assert.Equal(made, Store.Generated);
    }

    [Fact]
    public async Task A_miss_is_made_once_and_stored_in_redis_and_the_next_request_is_a_hit()
    {
        using var client = app.Client(app.AdminToken);
        var id = await app.IdAsync("Photos/wide.jpg");
        var before = Store.Generated;

        var miss = await client.GetAsync($"/api/v1/entries/{id}/thumbnail?size=large");
        var afterMiss = Store.Generated;
        var hit = await client.GetAsync($"/api/v1/entries/{id}/thumbnail?size=large");

        Assert.Equal(before + 1, afterMiss);
        Assert.Equal(afterMiss, Store.Generated);
        Assert.Equal(await miss.Content.ReadAsByteArrayAsync(), await hit.Content.ReadAsByteArrayAsync());
        var redis = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keys = app.Services.GetRequiredService<RedisKeys>();
        var stat = new FileInfo(app.PathOf("Photos/wide.jpg"));
        // The version is the size and the modification time as fstat gives it, to the microsecond.
        var ticks = stat.LastWriteTimeUtc.Ticks;
        var key = new ThumbnailKey(id, stat.Length, ticks - (ticks % 10), ThumbnailSize.Large, ThumbnailFormat.Webp);
        Assert.Equal(await hit.Content.ReadAsByteArrayAsync(), (byte[]?)await redis.StringGetAsync(keys.For(key.Name)));
        Assert.True(await redis.KeyTimeToLiveAsync(keys.For(key.Name)) > TimeSpan.FromDays(6));
    }

    [Fact]
    public async Task A_file_changed_on_disk_gets_a_new_tag_and_a_new_thumbnail_without_a_scan()
    {
        using var client = app.Client(app.AdminToken);
        var url = await app.UrlAsync("Photos/changing.jpg");
        var old = await client.GetAsync(url);
        var made = Store.Generated;

        app.Write("Photos/changing.jpg", TestImages.FourQuadrants(700, 300));
        File.SetLastWriteTimeUtc(app.PathOf("Photos/changing.jpg"), DateTime.UtcNow.AddMinutes(1));
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, url);
        revalidate.Headers.IfNoneMatch.Add(old.Headers.ETag!);
        var changed = await client.SendAsync(revalidate);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(old.Headers.ETag, changed.Headers.ETag);
        Assert.Equal(made + 1, Store.Generated);
        using var bitmap = SKBitmap.Decode(await changed.Content.ReadAsByteArrayAsync());
        Assert.Equal((150, 64), (bitmap.Width, bitmap.Height));
    }

    [Theory]
    [InlineData("Photos/Private/secret.jpg")]
    [InlineData("Bad/empty.jpg")]
    public async Task A_user_denied_the_folder_gets_404_naming_nothing(string relativePath)
    {
        using var reader = app.Client(app.ReaderToken);

        var response = await reader.GetAsync(await app.UrlAsync(relativePath));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("entry.not_found", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("secret", problem.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(await app.UrlAsync("Photos/wide.jpg"))).StatusCode);
    }

    [Fact]
    public async Task A_revoked_grant_takes_the_thumbnail_away_at_the_next_request()
    {
        var (user, token) = await NewReaderAsync("revoked-grant");
        using var client = app.Client(token);
        var url = await app.UrlAsync("Photos/camera.jpg");
        var grant = await GrantReadAsync(user.Id, "Photos");
        // Cached in Redis and asked before, so only the access decision can turn the answer.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<GrantService>().DeleteAsync(await AdminAsync(), grant, CancellationToken.None)).IsSuccess);
        }

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("entry.not_found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_deny_added_on_the_folder_answers_404_at_the_next_request_even_with_the_validator()
    {
        var (user, token) = await NewReaderAsync("denied-later");
        using var client = app.Client(token);
        var url = await app.UrlAsync("Photos/wide.jpg");
        await GrantReadAsync(user.Id, "Photos");
        var first = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var denied = await scope.ServiceProvider.GetRequiredService<GrantService>().CreateAsync(await AdminAsync(),
                new NewGrant(app.RootId, "Photos", user.Id, null, Permission.Read, GrantEffect.Deny), CancellationToken.None);
            Assert.True(denied.IsSuccess);
        }

        // A 304 would confirm the entry exists: the access decision comes before the validator.
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, url);
        revalidate.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var response = await client.SendAsync(revalidate);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.ETag);
    }

    [Theory]
    [InlineData("sign-out")]
    [InlineData("disable")]
    [InlineData("password")]
    public async Task A_revoked_access_token_is_refused_at_the_next_thumbnail_after_a_good_one(string revocation)
    {
        var (user, token) = await NewReaderAsync($"revoked-token-{revocation}");
        await GrantReadAsync(user.Id, "Photos");
        using var client = app.Client(token);
        var url = await app.UrlAsync("Photos/wide.jpg");
        // The token's "still current" answer is now remembered.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            switch (revocation)
            {
                case "sign-out":
                    await scope.ServiceProvider.GetRequiredService<UserSessions>().EndAllAsync(user.Id, "test", CancellationToken.None);
                    break;
                case "disable":
                    Assert.True((await scope.ServiceProvider.GetRequiredService<UserAdministration>().DisableAsync(await AdminAsync(), user.Id, CancellationToken.None)).IsSuccess);
                    break;
                default:
                    // Identity's own path, as a password change page would take it: no FileVault service in between.
                    var users = scope.ServiceProvider.GetRequiredService<UserManager<FileVaultUser>>();
                    var stored = await users.FindByIdAsync(user.Id.ToString());
                    Assert.True((await users.ChangePasswordAsync(stored!, FileVaultAppFactory.UserPassword, FileVaultAppFactory.UserPassword + "-new")).Succeeded);
                    break;
            }
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(url)).StatusCode);
    }

    private async Task<AccessSubject> AdminAsync()
    {
        await using var db = app.Database.CreateDbContext();
        var id = await db.Users.Where(u => u.Email == FileVaultAppFactory.AdminEmail).Select(u => u.Id).SingleAsync();
        return AccessSubject.Create(id, [Roles.SuperAdmin]);
    }

    private async Task<(FileVaultUser User, string Token)> NewReaderAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@media.test";
        var user = await app.CreateUserAsync(email, Roles.User);
        return (user, await app.TokenAsync(email, FileVaultAppFactory.UserPassword));
    }

    private async Task<long> GrantReadAsync(Guid userId, string folder)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<GrantService>().CreateAsync(await AdminAsync(),
            new NewGrant(app.RootId, folder, userId, null, Permission.Read, GrantEffect.Allow), CancellationToken.None);
        Assert.True(created.IsSuccess, created.Error?.ToString());
        return created.Value.Id;
    }

    [Fact]
    public async Task The_browser_gets_thumbnails_with_its_sign_in_cookie()
    {
        using var browser = app.CreateBrowserLikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await FileVaultAppFactory.PostSignInAsync(browser, app.ReaderEmail, FileVaultAppFactory.UserPassword)).StatusCode);

        var allowed = await browser.GetAsync(await app.UrlAsync("Photos/wide.jpg"));
        var denied = await browser.GetAsync(await app.UrlAsync("Photos/Private/secret.jpg"));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("image/webp", allowed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
    }

    [Theory]
    [InlineData("Bad/empty.jpg", "media.unreadable")]
    [InlineData("Bad/archive.jpg", "media.unreadable")]
    [InlineData("Bad/truncated.jpg", "media.unreadable")]
    [InlineData("Bad/corrupt.jpg", "media.unreadable")]
    [InlineData("Bad/huge.png", "media.too_large")]
    [InlineData("Photos/notes.txt", "media.unsupported")]
    [InlineData("Photos", "media.unsupported")]
    public async Task What_is_no_readable_image_is_422_with_a_stable_code_every_time(string relativePath, string code)
    {
        using var client = app.Client(app.AdminToken);
        var url = await app.UrlAsync(relativePath);

        var first = await client.GetAsync(url);
        var second = await client.GetAsync(url);

        foreach (var response in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task An_unknown_size_is_400()
    {
        using var client = app.Client(app.AdminToken);

        var response = await client.GetAsync(await app.UrlAsync("Photos/wide.jpg", "huge"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("media.invalid_size", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }
}
