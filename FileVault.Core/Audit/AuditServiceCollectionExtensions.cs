using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>The audit log's queries (rows are written by each feature, in its own transaction).</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddSingleton<AuditQueries>();
        services.AddSingleton<AuditRecorder>();
        return services;
    }
}
