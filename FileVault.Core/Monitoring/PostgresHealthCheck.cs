using FileVault.Core.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace FileVault.Core.Monitoring;

/// <summary>Ready when PostgreSQL answers within two seconds and start-up migrations are done.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource dataSource, DatabaseState state) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.", ex);
        }

        return state.IsReady
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Migrations and seeding have not finished: " + state.LastError);
    }
}
