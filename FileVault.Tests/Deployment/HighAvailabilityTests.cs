using System.Diagnostics;
using FileVault.Core.Data;
using FileVault.Core.Locks;
using FileVault.Core.Redis;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace FileVault.Tests.Deployment;

/// <summary>
/// The connection strings docs/operations.md gives for high availability, through the app's own data and Redis setup,
/// against a real streaming standby of the test PostgreSQL and a real Redis Sentinel on this machine.
/// </summary>
public sealed class HighAvailabilityTests
{
    [Fact]
    public async Task A_multi_host_connection_string_finds_the_primary_and_after_a_promotion_the_promoted_standby()
    {
        await using var standby = await PostgresStandby.StartAsync();
        // The standby first: "primary" must skip it while it is in recovery. A short recheck, so the promotion is seen in
        // a second rather than Npgsql's default ten.
        var hosts = $"Host=127.0.0.1:{standby.Port},127.0.0.1:{TestEnvironment.PostgresPort};Username=postgres;Database=postgres;Host Recheck Seconds=1";
        await using var primaryFirst = AppDataSource(hosts + ";Target Session Attributes=primary");
        await using var standbyOnly = AppDataSource(hosts + ";Target Session Attributes=standby");

        Assert.Equal((TestEnvironment.PostgresPort, false), await ServerAsync(primaryFirst));
        Assert.Equal((standby.Port, true), await ServerAsync(standbyOnly));

        await standby.PromoteAsync();

        await Poll.UntilAsync(async () => await ServerAsync(primaryFirst) == (standby.Port, false), "the promoted standby to be chosen as primary");
    }

    [Fact]
    public async Task A_sentinel_connection_string_reaches_the_primary_the_sentinel_names()
    {
        await using var primary = new PrivateRedis();
        await primary.StartAsync();
        await using var sentinel = await RedisSentinel.StartAsync(primary.Port);
        await using var provider = RedisServices($"127.0.0.1:{sentinel.Port},serviceName={RedisSentinel.ServiceName},abortConnect=false");

        var redis = provider.GetRequiredService<IConnectionMultiplexer>();
        await redis.GetDatabase().StringSetAsync("filevault:sentinel-test", "through the sentinel");

        using var direct = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{primary.Port}");
        Assert.Equal("through the sentinel", (string?)await direct.GetDatabase().StringGetAsync("filevault:sentinel-test"));
    }

    [Fact]
    public async Task Through_a_sentinel_the_app_s_redis_follows_a_failover_to_the_promoted_replica()
    {
        await using var primary = new PrivateRedis();
        await primary.StartAsync();
        await using var replica = new PrivateRedis();
        await replica.StartAsync();
        using var replicaClient = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{replica.Port},allowAdmin=true");
        await replicaClient.GetServers()[0].ReplicaOfAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, primary.Port));
        await using var sentinel = await RedisSentinel.StartAsync(primary.Port);
        using var sentinelClient = await ConnectionMultiplexer.ConnectAsync(
            new ConfigurationOptions { EndPoints = { { "127.0.0.1", sentinel.Port } }, CommandMap = CommandMap.Sentinel, AllowAdmin = true });
        var sentinelServer = sentinelClient.GetServers()[0];
        // The sentinel learns of the replica from the primary's INFO; only then can it fail over to it.
        await Poll.UntilAsync(async () => (await sentinelServer.SentinelReplicasAsync(RedisSentinel.ServiceName)).Length == 1, "the sentinel to see the replica");
        await using var provider = RedisServices($"127.0.0.1:{sentinel.Port},serviceName={RedisSentinel.ServiceName},abortConnect=false");
        var redis = provider.GetRequiredService<IConnectionMultiplexer>();
        await redis.GetDatabase().StringSetAsync("filevault:before-failover", "1");
        // Replication is asynchronous: a write not yet on the replica would be lost by the failover (Redis holds nothing
        // FileVault must keep), so the test fails over only once it arrived.
        await Poll.UntilAsync(async () => (string?)await replicaClient.GetDatabase().StringGetAsync("filevault:before-failover") == "1",
            "the write through the sentinel to reach the replica");

        await sentinelServer.SentinelFailoverAsync(RedisSentinel.ServiceName);

        // The sentinel ends the promoted replica's client connections as it promotes it (CLIENT KILL TYPE normal): a
        // question asked at that moment fails on a closed socket, and is asked again on the reconnected one.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await replicaClient.GetServers()[0].RoleAsync()).Value == "master";
            }
            catch (RedisException)
            {
                return false;
            }
        }, "the replica to be promoted");
        // The old primary turns into a replica of the new one and refuses writes; the app's writes fail for a moment (as
        // with Redis down), then reach the promoted replica.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                var value = Guid.NewGuid().ToString();
                await redis.GetDatabase().StringSetAsync("filevault:after-failover", value);
                return (string?)await replicaClient.GetDatabase().StringGetAsync("filevault:after-failover") == value;
            }
            catch (RedisException)
            {
                return false;
            }
        }, "writes to reach the promoted replica");
    }

    /// <summary>The app's Redis setup (AddFileVaultRedis) over this connection string.</summary>
    private static ServiceProvider RedisServices(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = connectionString,
        }).Build());
        services.AddFileVaultRedis();
        services.AddLocks();
        return services.BuildServiceProvider();
    }

    /// <summary>The app's NpgsqlDataSource (AddFileVaultData) over this connection string.</summary>
    private static NpgsqlDataSource AppDataSource(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
        }).Build());
        services.AddFileVaultData();
        // The data source outlives this provider: the test disposes it.
        return services.BuildServiceProvider().GetRequiredService<NpgsqlDataSource>();
    }

    private static async Task<(int Port, bool InRecovery)> ServerAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT inet_server_port(), pg_is_in_recovery()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt32(0), reader.GetBoolean(1));
    }
}

/// <summary>
/// A hot standby of the test PostgreSQL (pg_basebackup -R, streaming) on a free port, run as the postgres user like the
/// test server; stopped and deleted on dispose.
/// </summary>
public sealed class PostgresStandby : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private PostgresStandby(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PostgresStandby> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture)).Last() + "/bin";
        var directory = (await AsPostgresAsync("mktemp", "-d", "/tmp/filevault-standby-XXXXXX")).Trim();
        var standby = new PostgresStandby(bin, directory, TestEnvironment.FreeLoopbackPort());
        await AsPostgresAsync($"{bin}/pg_basebackup", "-h", "127.0.0.1", "-p", TestEnvironment.PostgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", "postgres", "-D", directory + "/data", "-R", "-X", "stream", "-c", "fast");
        // A hot standby refuses to start with fewer connections than its primary allows.
        int maxConnections;
        await using (var primary = new NpgsqlConnection(TestEnvironment.PostgresServer + ";Database=postgres;Pooling=false"))
        {
            await primary.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW max_connections", primary);
            maxConnections = int.Parse((string)(await show.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        }

        await AsPostgresAsync($"{bin}/pg_ctl", "-D", directory + "/data", "-l", directory + "/postgres.log", "-w", "-t", "60",
            "-o", $"-p {standby.Port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections={maxConnections} -c shared_buffers=32MB", "start");
        return standby;
    }

    public Task PromoteAsync() => AsPostgresAsync($"{_bin}/pg_ctl", "-D", _directory + "/data", "-w", "promote");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AsPostgresAsync($"{_bin}/pg_ctl", "-D", _directory + "/data", "-m", "immediate", "-w", "stop");
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Runs a PostgreSQL tool as the postgres user (as root: runuser), as scripts/services.sh does.</summary>
    private static async Task<string> AsPostgresAsync(string tool, params string[] arguments)
    {
        var start = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", tool, .. arguments]) : new ProcessStartInfo(tool, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{tool} exited with {process.ExitCode}: {await errors}");
        return await output;
    }
}

/// <summary>A Redis Sentinel (redis-server --sentinel) on a free port, watching one primary under <see cref="ServiceName"/>.</summary>
public sealed class RedisSentinel : IAsyncDisposable
{
    public const string ServiceName = "filevault-test";

    private readonly Process _process;
    private readonly string _directory;

    private RedisSentinel(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static async Task<RedisSentinel> StartAsync(int primaryPort)
    {
        var directory = Directory.CreateTempSubdirectory("filevault-sentinel-").FullName;
        var port = TestEnvironment.FreeLoopbackPort();
        // Sentinel rewrites its configuration file as it learns, so it gets a writable one of its own.
        var config = Path.Combine(directory, "sentinel.conf");
        await File.WriteAllTextAsync(config, $"port {port}\nbind 127.0.0.1\ndir {directory}\nsentinel monitor {ServiceName} 127.0.0.1 {primaryPort} 1\n"
            + $"sentinel down-after-milliseconds {ServiceName} 2000\nsentinel failover-timeout {ServiceName} 10000\n");
        var process = Process.Start(new ProcessStartInfo("redis-server", [config, "--sentinel"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var sentinel = new RedisSentinel(process, directory, port);
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }, "the sentinel to listen", TimeSpan.FromSeconds(10));
        return sentinel;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
