namespace FileVault.Tests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and Redis started by scripts/test.sh listen. The same variables as scripts/services.sh,
/// so a developer who ran that script can run `dotnet test` directly.
/// </summary>
public static class TestEnvironment
{
    public static int PostgresPort { get; } = PortFrom("FILEVAULT_PG_PORT", 55432);

    public static int RedisPort { get; } = PortFrom("FILEVAULT_REDIS_PORT", 56379);

    public static string PostgresServer { get; } =
        $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Include Error Detail=true";

    public static string Redis { get; } = $"127.0.0.1:{RedisPort},abortConnect=false";

    /// <summary>Debian's Chromium; the test command installs it.</summary>
    public static string ChromiumPath { get; } = Environment.GetEnvironmentVariable("FILEVAULT_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Debian's nginx, for the tests of the repository's nginx.conf; the test command installs it.</summary>
    public static string NginxPath { get; } = Environment.GetEnvironmentVariable("FILEVAULT_NGINX") ?? "/usr/sbin/nginx";

    /// <summary>The checkout the tests were built from (the folder holding FileVault.sln).</summary>
    public static string RepositoryRoot => FindRepositoryRoot();

    public static string ArtifactsDirectory { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("FILEVAULT_TEST_ARTIFACTS") ?? Path.Combine(Path.GetTempPath(), "filevault-test-artifacts")).FullName;

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FileVault.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FileVault.sln above {AppContext.BaseDirectory}.");
    }

    private static int PortFrom(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) ? port : fallback;

    /// <summary>A loopback port nothing listens on right now (bound, read, released): for a server to take, or for an outage.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
