using System.Diagnostics;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.E2E;

/// <summary>
/// The shipped nginx.conf, with only its paths and ports rendered for this machine (NginxProxy), passes `nginx -t`:
/// no app needed, so an edit that breaks the syntax, names a directive nginx 1.22 lacks or loses a line the fixtures
/// rewrite fails here first.
/// </summary>
public sealed class NginxConfigTests
{
    [Fact]
    public async Task Shipped_nginx_conf_passes_nginx_t_with_a_generated_certificate()
    {
        var files = Directory.CreateTempSubdirectory("filevault-nginx-files-").FullName;
        var site = await NginxProxy.RenderAsync([new Uri("http://127.0.0.1:8080/"), new Uri("http://127.0.0.1:8081/")], files);
        try
        {
            var start = new ProcessStartInfo(TestEnvironment.NginxPath) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-t", "-p", site.Directory + "/", "-c", site.ConfigPath })
            {
                start.ArgumentList.Add(argument);
            }

            using var nginx = Process.Start(start)!;
            var output = nginx.StandardOutput.ReadToEndAsync();
            var errors = nginx.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await nginx.WaitForExitAsync(timeout.Token);

            var said = await output + await errors;
            Assert.True(nginx.ExitCode == 0, said);
            Assert.Contains("test is successful", said, StringComparison.Ordinal);
            // A warning is where a future break starts (a deprecated directive, a duplicate MIME type).
            Assert.DoesNotContain("[warn]", said, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(site.Directory, recursive: true);
            Directory.Delete(files, recursive: true);
        }
    }
}
