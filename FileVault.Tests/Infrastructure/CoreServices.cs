using FileVault.Core.Access;
using FileVault.Core.Data;
using FileVault.Core.Devices;
using FileVault.Core.Downloads;
using FileVault.Core.Media;
using FileVault.Core.Jobs;
using FileVault.Core.Redis;
using FileVault.Core.Scanning;
using FileVault.Core.Search;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Cleanup;
using FileVault.Core.Operations;
using FileVault.Core.Storage;
using FileVault.Core.Trash;
using FileVault.Core.Duplicates;
using FileVault.Core.Monitoring;
using FileVault.Core.Uploads;
using FileVault.Core.Browsing;
using FileVault.Core.Locks;

namespace FileVault.Tests.Infrastructure;

/// <summary>Core's services as the app registers them, without the web host, over a test database.</summary>
public static class CoreServices
{
    public static ServiceProvider Build(TestDatabase database, IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.Redis,
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddFileVaultData();
        services.AddFileVaultIdentity();
        services.AddFileVaultAccess();
        services.AddFileVaultRedis();
        services.AddLocks();
        services.AddAudit();
        services.AddStorage();
        services.AddCatalog();
        services.AddBrowsing();
        services.AddScanning();
        services.AddDevices();
        services.AddFileVaultJobs();
        services.AddOperations();
        services.AddTrash();
        services.AddDuplicates();
        services.AddSystemMonitoring();
        services.AddCleanup();
        services.AddDownloads();
        services.AddMedia();
        services.AddSearch(configuration);
        services.AddUploads();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }
}
