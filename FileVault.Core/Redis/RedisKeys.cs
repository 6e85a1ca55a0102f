using Npgsql;

namespace FileVault.Core.Redis;

/// <summary>
/// Names of FileVault's Redis keys and channels, scoped to one deployment (its catalog database), so two deployments
/// or two test databases sharing a Redis never take each other's leases or cancel each other's scans.
/// </summary>
public sealed class RedisKeys(NpgsqlDataSource catalog)
{
    private readonly string _scope = BuildScope(catalog.ConnectionString);

    /// <remarks>The scope is a Redis Cluster hash tag ({...}), so one Lua script may touch several of our keys.</remarks>
    public string For(string name) => $"filevault:{{{_scope}}}:{name}";

    private static string BuildScope(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }
}
