using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FileVault.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Web;

/// <summary>An app whose Data Protection keys are protected with a freshly made certificate.</summary>
public sealed class CertificateProtectedKeysAppFactory : FileVaultAppFactory
{
    public CertificateProtectedKeysAppFactory()
    {
        Settings["FileVault:DataProtection:CertificatePath"] = CertificatePath;
        Settings["FileVault:DataProtection:CertificatePassword"] = "pfx-password";
    }

    public string CertificatePath { get; } = Path.Combine(Directory.CreateTempSubdirectory("filevault-dp-").FullName, "keys.pfx");

    public override async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=FileVault Data Protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        await File.WriteAllBytesAsync(CertificatePath, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        await base.InitializeAsync();
    }
}

/// <summary>With a certificate configured, the keys that sign cookies are stored encrypted in PostgreSQL and read back.</summary>
public sealed class DataProtectionTests(CertificateProtectedKeysAppFactory app) : IClassFixture<CertificateProtectedKeysAppFactory>
{
    [Fact]
    public async Task Keys_are_stored_encrypted_and_a_sign_in_cookie_still_works()
    {
        using var browser = app.CreateBrowserLikeClient();
        var signIn = await FileVaultAppFactory.PostSignInAsync(browser, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await browser.GetAsync("/api/v1/roots")).StatusCode);

        await using var db = app.Database.CreateDbContext();
        var stored = await db.DataProtectionKeys.Select(k => k.Xml).ToListAsync();
        Assert.NotEmpty(stored);
        Assert.All(stored, xml =>
        {
            Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });

        // Read back from the database and decrypted with the certificate, as another instance or a restart would.
        var keys = app.Services.GetRequiredService<IKeyManager>().GetAllKeys();
        Assert.All(keys, key => Assert.NotNull(key.Descriptor));
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("secret", protector.Unprotect(protector.Protect("secret")));
    }
}
