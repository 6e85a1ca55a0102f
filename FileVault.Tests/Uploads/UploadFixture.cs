using System.Text;
using FileVault.Core.Access;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Uploads;

/// <summary>
/// The app on a real socket (tus-js-client talks to it from Node) over a scanned root: <c>Sales</c> (with
/// <c>Sales/Secret</c> and <c>Sales/taken.txt</c>) and <c>Public</c>, on disk and in the catalog.
/// </summary>
public sealed class UploadFixture : ServedAppFixture
{
    /// <summary>A folder of <c>Sales</c> named on a Mac, in NFD, as the catalog and its grants spell it ("기밀").</summary>
    public static readonly string MacSecret = "기밀".Normalize(System.Text.NormalizationForm.FormD);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Directory.CreateDirectory(PathOf("Sales/Secret"));
        Directory.CreateDirectory(PathOf("Sales/" + MacSecret));
        Directory.CreateDirectory(PathOf("Public"));
        await File.WriteAllTextAsync(PathOf("Sales/taken.txt"), "already here");
        // Some tests put the repository's nginx (on this machine) in front: its forwarded headers come from loopback.
        Settings["FileVault:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        await ServeAsync();
    }

    /// <summary>
    /// A new user's bearer token, with the grants of one matrix case on <c>Sales</c>: none, read, write, or write with a deny
    /// on <c>Sales/Secret</c>; "admin" makes an admin.
    /// </summary>
    public async Task<string> UserTokenAsync(string matrixCase)
    {
        var email = $"{matrixCase}-{Guid.NewGuid():N}@uploads.test";
        var user = await CreateUserAsync(email, matrixCase == "admin" ? Roles.Admin : Roles.User);
        var grants = matrixCase switch
        {
            "read" => new[] { ("Sales", Permission.Read, GrantEffect.Allow) },
            "write" => [("Sales", Permission.Read | Permission.Write, GrantEffect.Allow)],
            "deny-under-allow" =>
            [
                ("Sales", Permission.Read | Permission.Write, GrantEffect.Allow),
                ("Sales/Secret", Permission.Read | Permission.Write, GrantEffect.Deny),
                ("Sales/" + MacSecret, Permission.Read | Permission.Write, GrantEffect.Deny),
            ],
            _ => [],
        };
        await using (var db = Database.CreateDbContext())
        {
            foreach (var (path, permissions, effect) in grants)
            {
                db.FolderGrants.Add(new FolderGrant { RootId = RootId, RelativePath = path, UserId = user.Id, Permissions = permissions, Effect = effect, CreatedAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        return await TokenAsync(email, UserPassword);
    }

    public string StagingPathOf(string uploadId) => Path.Combine(StorageDirectory, ".filevault-staging", uploadId);

    /// <summary>Upload-Metadata for the pairs given (values base64, as tus sends them).</summary>
    public static string Metadata(params (string Key, string Value)[] pairs) =>
        string.Join(',', pairs.Select(p => p.Key + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(p.Value))));
}
