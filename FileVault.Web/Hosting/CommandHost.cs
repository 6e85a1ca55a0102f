using FileVault.Core.Access;
using FileVault.Core.Browsing;
using FileVault.Core.Catalog;
using FileVault.Core.Data;
using FileVault.Core.Jobs;
using FileVault.Core.Locks;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;

namespace FileVault.Web.Hosting;

/// <summary>What every command-line verb runs on: the app's configuration without the web host.</summary>
internal static class CommandHost
{
    /// <summary>
    /// A host builder with the app's configuration (not the verb's arguments), warnings only, and the features every
    /// verb needs: data, Redis, locks, access, storage, catalog, browsing, scanning and jobs. The verb adds its own.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddFileVaultData();
        builder.Services.AddFileVaultRedis();
        builder.Services.AddLocks();
        builder.Services.AddFileVaultAccess();
        builder.Services.AddStorage();
        builder.Services.AddCatalog();
        builder.Services.AddBrowsing();
        builder.Services.AddScanning();
        builder.Services.AddFileVaultJobs();
        return builder;
    }
}
