using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Downloads;

public static class DownloadsServiceCollectionExtensions
{
    /// <summary>Single-file and ZIP downloads (scoped, like the access evaluator they ask).</summary>
    public static IServiceCollection AddDownloads(this IServiceCollection services)
    {
        services.AddOptions<DownloadOptions>().BindConfiguration("FileVault:Downloads").ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.AccelRedirectRoot) || o.AccelRedirectRoot.StartsWith('/'),
                "FileVault:Downloads:AccelRedirectRoot must be an absolute path (the directory nginx's /_protected/ location serves).")
            .ValidateOnStart();
        services.AddScoped<DownloadService>();
        return services;
    }
}
