using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace FileVault.Tests.Infrastructure;

/// <summary>
/// The real nginx running the repository's nginx.conf in front of one or more app instances, HTTPS and its plain-HTTP
/// redirect on free ports of 127.0.0.1, with a self-signed certificate from scripts/make-cert.sh. Only the lines that
/// name the compose network, the container's paths, the ports and the worker user are rewritten, each of which must
/// appear exactly once, so a broken or reshaped nginx.conf fails the tests that start this.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    private static readonly string[] TempPathKinds = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"];

    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private NginxProxy(Process process, NginxSite site)
    {
        _process = process;
        _directory = site.Directory;
        BaseAddress = new Uri($"https://127.0.0.1:{site.HttpsPort}/");
        HttpAddress = new Uri($"http://127.0.0.1:{site.HttpPort}/");
        CertificatePath = site.CertificatePath;
        Certificate = X509CertificateLoader.LoadCertificateFromFile(site.CertificatePath);
    }

    /// <summary>The test-only response header naming the instance (address:port) that answered.</summary>
    public const string UpstreamHeader = "X-FileVault-Upstream";

    /// <summary>Where browsers and clients reach the app through nginx: HTTPS.</summary>
    public Uri BaseAddress { get; }

    /// <summary>nginx's plain-HTTP port, which only redirects to <see cref="BaseAddress"/>.</summary>
    public Uri HttpAddress { get; }

    /// <summary>The self-signed certificate nginx presents (PEM), for clients outside .NET (NODE_EXTRA_CA_CERTS).</summary>
    public string CertificatePath { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>A handler that trusts exactly this nginx's certificate and nothing else self-signed.</summary>
    public HttpClientHandler CreateHandler(bool allowAutoRedirect = false) => new()
    {
        AllowAutoRedirect = allowAutoRedirect,
        ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            errors == SslPolicyErrors.None || (certificate is not null && certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span)),
    };

    /// <summary>Starts nginx in front of <paramref name="app"/>, serving X-Accel-Redirect files from <paramref name="filesDirectory"/>.</summary>
    public static Task<NginxProxy> StartAsync(Uri app, string filesDirectory) => StartAsync([app], filesDirectory);

    /// <summary>
    /// Starts nginx in front of several instances of the app (its upstream `server` line once per instance). With
    /// <paramref name="exposeUpstream"/> every proxied response names the instance that answered it in
    /// <see cref="UpstreamHeader"/>, for tests that must know where the route cookie sends a browser.
    /// </summary>
    public static async Task<NginxProxy> StartAsync(IReadOnlyList<Uri> apps, string filesDirectory, bool exposeUpstream = false)
    {
        var site = await RenderAsync(apps, filesDirectory, exposeUpstream);
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(TestEnvironment.NginxPath)
            {
                // In the foreground, as our child, so that the fixture owns its lifetime.
                ArgumentList = { "-p", site.Directory + "/", "-c", site.ConfigPath, "-g", "daemon off;" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        var nginx = new NginxProxy(process, site);
        process.OutputDataReceived += (_, line) => nginx.Collect(line.Data);
        process.ErrorDataReceived += (_, line) => nginx.Collect(line.Data);
        process.Start();
        // A test host that ends without disposing the fixture (Ctrl+C, a run timeout) still takes nginx with it.
        AppDomain.CurrentDomain.ProcessExit += nginx.StopOnExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await nginx.WaitUntilListeningAsync(site.HttpsPort);
            await nginx.WaitUntilListeningAsync(site.HttpPort);
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }

        return nginx;
    }

    /// <summary>
    /// The repository's nginx.conf with the compose-only lines pointed at these apps, free ports, a fresh self-signed
    /// certificate and <paramref name="filesDirectory"/>, written to a new temp folder (nginx's prefix), not started.
    /// </summary>
    public static async Task<NginxSite> RenderAsync(IReadOnlyList<Uri> apps, string filesDirectory, bool exposeUpstream = false)
    {
        Assert.True(File.Exists(TestEnvironment.NginxPath),
            $"nginx not found at {TestEnvironment.NginxPath}; scripts/test.sh installs Debian's nginx package.");
        var config = await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepositoryRoot, "nginx.conf"));
        var directory = Directory.CreateTempSubdirectory("filevault-nginx-").FullName;
        var certificates = Path.Combine(directory, "certs");
        await MakeCertificateAsync(certificates);
        var site = new NginxSite(directory, TestEnvironment.FreeLoopbackPort(), TestEnvironment.FreeLoopbackPort(),
            Path.Combine(certificates, "fullchain.pem"), Path.Combine(certificates, "privkey.pem"));

        // The compose image runs workers as its `nginx` user. Here the temp folders and the storage root are private
        // to the user running the tests, so the workers run as that user: root as root; otherwise nginx cannot switch.
        var user = Environment.IsPrivilegedProcess ? "user root;" : "";
        config = ReplaceOnce(config, @"^user\s[^;]*;", user);
        config = ReplaceOnce(config, @"^pid\s+[^\s;]+", $"pid \"{directory}/nginx.pid\"");
        config = ReplaceOnce(config, @"^error_log\s+[^\s;]+", $"error_log \"{directory}/error.log\"");
        config = ReplaceOnce(config, @"^(\s*)access_log\s+[^\s;]+", $"$1access_log \"{directory}/access.log\"");
        // The two listen lines, so that nginx here binds 127.0.0.1 and nothing else; the redirect names the HTTPS port,
        // which in production is the default one.
        config = ReplaceOnce(config, @"^(\s*)listen\s+80;", $"$1listen 127.0.0.1:{site.HttpPort};");
        config = ReplaceOnce(config, @"^(\s*)listen\s+443\s", $"$1listen 127.0.0.1:{site.HttpsPort} ");
        config = ReplaceOnce(config, @"return 301 https://\$host\$request_uri;", $"return 301 https://$host:{site.HttpsPort}$request_uri;");
        config = ReplaceOnce(config, @"^(\s*)ssl_certificate\s+[^\s;]+;", $"$1ssl_certificate \"{site.CertificatePath}\";");
        config = ReplaceOnce(config, @"^(\s*)ssl_certificate_key\s+[^\s;]+;", $"$1ssl_certificate_key \"{site.KeyPath}\";");
        config = ReplaceOnce(config, @"^(\s*)server\s+app:8080;",
            "$1" + string.Join("\n$1", apps.Select(app => $"server 127.0.0.1:{app.Port};")));
        config = ReplaceOnce(config, @"^(\s*)alias\s+/srv/files/;", $"$1alias \"{filesDirectory.TrimEnd('/')}/\";");
        if (exposeUpstream)
        {
            config = ReplaceOnce(config, @"^(\s*)add_header Set-Cookie \$route_cookie;", $"$0\n$1add_header {UpstreamHeader} $upstream_addr;");
        }

        // Debian's defaults for these are shared folders under /var/lib/nginx.
        var temp = string.Join(' ', TempPathKinds.Select(kind => $"{kind}_temp_path \"{directory}/{kind}_temp\";"));
        config = ReplaceOnce(config, @"^http\s*\{", "http {\n    " + temp);
        await File.WriteAllTextAsync(site.ConfigPath, config);
        return site;
    }

    /// <summary>scripts/make-cert.sh, the one operators run, so the tests also keep it working.</summary>
    private static async Task MakeCertificateAsync(string directory)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "make-cert.sh"));
        start.ArgumentList.Add(directory);
        using var script = Process.Start(start)!;
        var output = script.StandardOutput.ReadToEndAsync();
        var errors = script.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await script.WaitForExitAsync(timeout.Token);
        Assert.True(script.ExitCode == 0, $"scripts/make-cert.sh exited with {script.ExitCode}: {await output}{await errors}");
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

        Certificate.Dispose();
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

    /// <summary>A client of nginx over HTTPS (trusting its test certificate) that keeps cookies and does not follow redirects.</summary>
    public HttpClient CreateClient() => new(Nginx.CreateHandler()) { BaseAddress = Nginx.BaseAddress };

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        await ((IAsyncLifetime)App).DisposeAsync();
    }
}

/// <summary>A rendered nginx.conf and where it points: its prefix folder, ports and certificate.</summary>
public sealed record NginxSite(string Directory, int HttpPort, int HttpsPort, string CertificatePath, string KeyPath)
{
    public string ConfigPath => Path.Combine(Directory, "nginx.conf");
}

/// <summary>
/// Two instances of the app on their own ports, sharing one database, Redis and storage root, behind the repository's
/// nginx.conf (TLS, sticky route cookie), as docs/operations.md describes "more instances". nginx names the instance that
/// answered each proxied response (<see cref="NginxProxy.UpstreamHeader"/>), so a test can pick where a browser lands.
/// </summary>
public sealed class TwoAppsBehindNginx : IAsyncLifetime
{
    private NginxProxy? _nginx;

    public TwoAppsBehindNginx() => Second = new KestrelAppFactory(First);

    /// <summary>Owns the database and the storage root.</summary>
    public KestrelAppFactory First { get; } = new();

    public KestrelAppFactory Second { get; }

    public NginxProxy Nginx => _nginx ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public async Task InitializeAsync()
    {
        foreach (var app in new[] { First, Second })
        {
            app.Settings["FileVault:Downloads:AccelRedirectRoot"] = First.StorageDirectory;
            app.Settings["FileVault:ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        }

        await First.InitializeAsync();
        await Second.InitializeAsync();
        _nginx = await NginxProxy.StartAsync([First.BaseAddress, Second.BaseAddress], First.StorageDirectory, exposeUpstream: true);
    }

    /// <summary>The instance (address:port) nginx sends <paramref name="app"/>'s browsers to, as its header names it.</summary>
    public static string UpstreamOf(KestrelAppFactory app) => $"127.0.0.1:{app.BaseAddress.Port}";

    /// <summary>A value of nginx's route cookie that sends a browser to <paramref name="app"/>, found by asking nginx.</summary>
    public async Task<string> RouteKeyForAsync(KestrelAppFactory app)
    {
        using var client = RoutedClient(null);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            if (await UpstreamForAsync(client, key) == UpstreamOf(app))
            {
                return key;
            }
        }

        throw new InvalidOperationException($"No route key out of 100 led to {UpstreamOf(app)}; is the instance up?");
    }

    /// <summary>Where nginx sends a request carrying this route key now.</summary>
    public async Task<string?> UpstreamForAsync(string routeKey)
    {
        using var client = RoutedClient(null);
        return await UpstreamForAsync(client, routeKey);
    }

    /// <summary>A client of nginx that sends this route cookie (and no other) on every request.</summary>
    public HttpClient RoutedClient(string? routeKey)
    {
        var handler = Nginx.CreateHandler();
        handler.UseCookies = false;
        var client = new HttpClient(handler) { BaseAddress = Nginx.BaseAddress };
        if (routeKey is not null)
        {
            client.DefaultRequestHeaders.Add("Cookie", "fv_route=" + routeKey);
        }

        return client;
    }

    /// <remarks>nginx lists every instance it tried ("a, b" when a refused): the last one answered.</remarks>
    private static async Task<string?> UpstreamForAsync(HttpClient client, string routeKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live") { Headers = { { "Cookie", "fv_route=" + routeKey } } };
        using var response = await client.SendAsync(request);
        return response.Headers.TryGetValues(NginxProxy.UpstreamHeader, out var upstream) ? upstream.Single().Split(", ")[^1] : null;
    }

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }
}
