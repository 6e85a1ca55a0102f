using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Devices;

public static class DevicesServiceCollectionExtensions
{
    /// <summary>The device rental desk: its service, queries and usage report.</summary>
    public static IServiceCollection AddDevices(this IServiceCollection services)
    {
        services.AddSingleton<DeskService>();
        services.AddSingleton<DeviceQueries>();
        services.AddSingleton<UsageReport>();
        return services;
    }
}
