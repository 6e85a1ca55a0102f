using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FileVault.Core.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// One multiplexer for the app. It never aborts on a failed connect and reconnects on its own, and its timeouts
    /// are short, so a Redis outage fails writes fast instead of stalling requests (DESIGN invariant 8).
    /// </summary>
    public static IServiceCollection AddFileVaultRedis(this IServiceCollection services)
    {
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString("Redis")
                ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set.");
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.SyncTimeout = 2000;
            options.AsyncTimeout = 2000;
            options.ClientName = "filevault";
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton<RedisKeys>();
        return services;
    }
}
