using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The real nginx running the repository's nginx.conf in front of an app, on a free port of 127.0.0.1. Only the lines
/// that name the compose network, the container's paths and the worker user are rewritten, each of which must appear
/// exactly once, so a broken or reshaped nginx.conf fails the tests that start this.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private static readonly string[] TempPathKinds = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];

    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private NginxProxy(Process process, string directory, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        BaseAddress = baseAddress;
    }

    /// <summary>Where browsers and clients reach the app through nginx.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts nginx in front of <paramref name="app"/>, serving X-Accel-Redirect files from <paramref name="filesDirectory"/>.</summary>
    public static async Task<NginxProxy> StartAsync(Uri app, string filesDirectory)
    {
        Assert.True(File.Exists(TestEnvironment.NginxPath),
            $"nginx not found at {TestEnvironment.NginxPath}; scripts/test.sh installs Debian's nginx package.");
        var repositoryConfig = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "nginx.conf"));
        var directory = Directory.CreateTempSubdirectory("filevault-nginx-").FullName;
        var port = TestEnvironment.FreeLoopbackPort();
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, RenderConfig(repositoryConfig, directory, port, app, filesDirectory));

        var process = new Process
        {
            StartInfo = new ProcessStartInfo(TestEnvironment.NginxPath)
            {
                // In the foreground, as our child, so that the fixture owns its lifetime.
                ArgumentList = { "-p", directory + "/", "-c", configPath, "-g", "daemon off;" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        var nginx = new NginxProxy(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, line) => nginx.Collect(line.Data);
        process.ErrorDataReceived += (_, line) => nginx.Collect(line.Data);
        process.Start();
        // A test host that ends without disposing the fixture (Ctrl+C, a run timeout) still takes nginx with it.
        AppDomain.CurrentDomain.ProcessExit += nginx.StopOnExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await nginx.WaitUntilListeningAsync(port);
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }

        return nginx;
    }

    /// <summary>The repository's nginx.conf with the compose-only lines pointed at this test's app, port and files.</summary>
    private static string RenderConfig(string config, string directory, int port, Uri app, string filesDirectory)
    {
        // The compose image runs workers as its `nginx` user. Here the temp folders and the storage root are private
        // to the user running the tests, so the workers run as that user: root as root; otherwise nginx cannot switch.
        var user = Environment.IsPrivilegedProcess ? "user root;" : "";
        config = ReplaceOnce(config, @"^user\s[^;]*;", user);
        config = ReplaceOnce(config, @"^pid\s+[^\s;]+", $"pid \"{directory}/nginx.pid\"");
        config = ReplaceOnce(config, @"^error_log\s+[^\s;]+", $"error_log \"{directory}/error.log\"");
        config = ReplaceOnce(config, @"^(\s*)access_log\s+[^\s;]+", $"$1access_log \"{directory}/access.log\"");
        // The one listen line, so that nginx here binds 127.0.0.1 and nothing else.
        config = ReplaceOnce(config, @"^(\s*)listen\s[^;]*;", $"$1listen 127.0.0.1:{port};");
        config = ReplaceOnce(config, @"^(\s*)server\s+app:8080;", $"$1server 127.0.0.1:{app.Port};");
        config = ReplaceOnce(config, @"^(\s*)alias\s+/srv/files/;", $"$1alias \"{filesDirectory.TrimEnd('/')}/\";");
        // Debian's defaults for these are shared folders under /var/lib/nginx.
        var temp = string.Join(' ', TempPathKinds.Select(kind => $"{kind}_temp_path \"{directory}/{kind}_temp\";"));
        return ReplaceOnce(config, @"^http\s*\{", "http {\n    " + temp);
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
        Stop();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
        var errorLog = Path.Combine(_directory, "error.log");
        if (File.Exists(errorLog) && new FileInfo(errorLog).Length > 0)
        {
            // What nginx complained about, kept for a person to read after the temp folder is gone.
            File.Copy(errorLog, Path.Combine(TestEnvironment.ArtifactsDirectory, "nginx-error.log"), overwrite: true);
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static string ReplaceOnce(string config, string pattern, string replacement)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var count = regex.Count(config);
        if (count != 1)
        {
            throw new InvalidOperationException(
                $"nginx.conf has {count} lines matching /{pattern}/; the nginx tests rewrite exactly one. Keep that line, or update NginxProxy.");
        }

        return regex.Replace(config, replacement);
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw Failure($"nginx exited with code {_process.ExitCode} running the repository's nginx.conf");
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw Failure($"nginx did not listen on 127.0.0.1:{port} within 15 s");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
    }

    private InvalidOperationException Failure(string message)
    {
        var errorLog = Path.Combine(_directory, "error.log");
        var logged = File.Exists(errorLog) ? File.ReadAllText(errorLog) : "";
        return new InvalidOperationException($"{message}:\n{string.Join('\n', _output)}\n{logged}");
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private void StopOnExit(object? sender, EventArgs e) => Stop();

    private void Stop()
    {
        try
        {
            // The master and its workers: killing only the master would leave the workers serving.
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Already exited, or never started.
        }
    }
}

/// <summary>
/// The app on Kestrel with the repository's nginx.conf in front of it, downloads handed to nginx by X-Accel-Redirect
/// (nginx's files are the app's storage root); tests go through <see cref="Nginx"/>.
/// </summary>
public sealed class AppBehindNginx : IAsyncLifetime
{
    private NginxProxy? _nginx;

    public KestrelAppFactory App { get; } = new();

    public NginxProxy Nginx => _nginx ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public async Task InitializeAsync()
    {
        App.Settings["FileVault:Downloads:AccelRedirectRoot"] = App.StorageDirectory;
        // nginx runs on this machine, so its forwarded headers come from loopback.
        App.Settings["FileVault:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        await App.InitializeAsync();
        _nginx = await NginxProxy.StartAsync(App.BaseAddress, App.StorageDirectory);
    }

    /// <summary>A client of nginx that keeps cookies and does not follow redirects.</summary>
    public HttpClient CreateClient() =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Nginx.BaseAddress };

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        await ((IAsyncLifetime)App).DisposeAsync();
    }
}
