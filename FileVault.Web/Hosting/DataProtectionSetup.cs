using System.Security.Cryptography.X509Certificates;
using FileVault.Core.Data;
using Microsoft.AspNetCore.DataProtection;

namespace FileVault.Web.Hosting;

/// <summary>
/// The keys that sign cookies and antiforgery tokens live in PostgreSQL, shared by every app instance. With
/// <c>FileVault:DataProtection:CertificatePath</c> (a PFX, and <c>CertificatePassword</c> when it has one) they are stored
/// encrypted with that certificate, so a reader of the database or a backup cannot forge a sign-in cookie; without it they
/// are stored in the clear, and the start-up log says so.
/// </summary>
public static class DataProtectionSetup
{
    public static IServiceCollection AddFileVaultDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var protection = services.AddDataProtection()
            .SetApplicationName("FileVault")
            .PersistKeysToFileVaultDatabase();
        if (configuration["FileVault:DataProtection:CertificatePath"] is { Length: > 0 } path)
        {
            // A missing or unreadable certificate stops the start: running on with clear keys would be a silent downgrade.
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, configuration["FileVault:DataProtection:CertificatePassword"],
                X509KeyStorageFlags.EphemeralKeySet);
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"FileVault:DataProtection:CertificatePath {path} has no private key.");
            }

            protection.ProtectKeysWithCertificate(certificate);
        }

        return services;
    }
}
