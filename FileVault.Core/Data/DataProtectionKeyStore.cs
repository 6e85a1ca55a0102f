using Microsoft.AspNetCore.DataProtection;

namespace FileVault.Core.Data;

/// <summary>
/// Data Protection keeps its keys in the <c>data_protection_keys</c> table of the FileVault database, so every app
/// instance signs and reads the same cookies. Here rather than in the web project because only Data knows the DbContext.
/// </summary>
public static class DataProtectionKeyStore
{
    public static IDataProtectionBuilder PersistKeysToFileVaultDatabase(this IDataProtectionBuilder builder) =>
        builder.PersistKeysToDbContext<FileVaultDbContext>();
}
