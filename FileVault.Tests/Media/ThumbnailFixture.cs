using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Media;

/// <summary>
/// The app, in memory, over a scanned root of images: photos anyone granted may read (<c>Photos</c>), one a user
/// is denied (<c>Photos/Private</c>), and the bad inputs the generator must survive (<c>Bad</c>).
/// </summary>
public class ThumbnailFixture : ServedAppFixture
{
    /// <summary>A user who may read Photos but is denied Photos/Private.</summary>
    public string ReaderToken { get; private set; } = default!;

    public string ReaderEmail { get; } = $"reader-{Guid.NewGuid():N}@media.test";

    public override async Task InitializeAsync()
    {
        // These tests count the thumbnails requests make; the background queue (ThumbnailQueueTests) would make them too.
        Settings["FileVault:Jobs:RunnerEnabled"] = "false";
        await base.InitializeAsync();
        Write("Photos/wide.jpg", TestImages.FourQuadrants(1200, 800));
        Write("Photos/rotated.jpg", TestImages.WithOrientation(TestImages.FourQuadrants(400, 200), 6));
        Write("Photos/changing.jpg", TestImages.FourQuadrants(600, 400));
        Write("Photos/notes.txt", "not an image"u8.ToArray());
        Write("Photos/camera.jpg", TestImages.CameraJpeg());
        Write("Photos/Private/secret.jpg", TestImages.CameraJpeg());
        Write("Bad/empty.jpg", []);
        Write("Bad/archive.jpg", TestImages.Zip());
        Write("Bad/truncated.jpg", TestImages.FourQuadrants(800, 600)[..3000]);
        Write("Bad/corrupt.jpg", TestImages.Corrupt(TestImages.FourQuadrants(800, 600)));
        Write("Bad/huge.png", TestImages.PngHeaderOnly(100_000, 100_000));
        await ServeAsync(onSocket: false);
        var reader = await CreateUserAsync(ReaderEmail, Roles.User);
        await using (var db = Database.CreateDbContext())
        {
            db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = "Photos", UserId = reader.Id, Permissions = Permission.Read, Effect = GrantEffect.Allow, CreatedAt = DateTimeOffset.UtcNow });
            db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = "Photos/Private", UserId = reader.Id, Permissions = Permission.Read, Effect = GrantEffect.Deny, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        ReaderToken = await TokenAsync(ReaderEmail, UserPassword);
    }

    public async Task<string> UrlAsync(string relativePath, string size = "small") => $"/api/v1/entries/{await IdAsync(relativePath)}/thumbnail?size={size}";
}
