using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log's writer (rows are written by each feature, in its own transaction; Access reads them).</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditRecorder>();
        return services;
    }
}
