using System.Diagnostics;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Deployment;

/// <summary>
/// scripts/check-deploy.sh over the compose files, the Dockerfile, the shell scripts, the systemd unit and the nginx.conf
/// that scripts/install.sh installs: offline linters, so the files we cannot run here (no Docker engine, no systemd)
/// cannot rot unnoticed.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string[] DeploymentFiles =
        ["docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml", "docker-compose.prod.yml", "Dockerfile", "nginx.conf", ".env.example"];

    [Fact]
    public async Task The_repository_s_deployment_files_pass_every_check()
    {
        var (exitCode, output) = await CheckAsync(TestEnvironment.RepositoryRoot);

        Assert.True(exitCode == 0, output);
        Assert.Equal(7, output.Split('\n').Count(line => line.StartsWith("ok: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_compose_key_compose_does_not_know_and_a_root_dockerfile_fail_the_check()
    {
        var copy = CopyOfDeploymentFiles();
        try
        {
            var compose = Path.Combine(copy, "docker-compose.prod.yml");
            await File.WriteAllTextAsync(compose, (await File.ReadAllTextAsync(compose)).Replace("    restart: always\n    stop_grace_period: 30s",
                "    restart: always\n    stop_grace_period: 30s\n    restart_policy: always", StringComparison.Ordinal));
            var dockerfile = Path.Combine(copy, "Dockerfile");
            await File.WriteAllTextAsync(dockerfile, (await File.ReadAllTextAsync(dockerfile)).Replace("USER $APP_UID", "USER root", StringComparison.Ordinal));

            var (exitCode, output) = await CheckAsync(copy);

            Assert.NotEqual(0, exitCode);
            Assert.Contains("FAILED: compose files", output, StringComparison.Ordinal);
            Assert.Contains("docker-compose.prod.yml", output, StringComparison.Ordinal);
            Assert.Contains("FAILED: Dockerfile checklist", output, StringComparison.Ordinal);
            Assert.Contains("the last USER is not a non-root user", output, StringComparison.Ordinal);
            Assert.Contains("ok: shellcheck", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task A_search_profile_the_app_is_not_pointed_at_and_an_unlisted_variable_fail_the_check()
    {
        var copy = CopyOfDeploymentFiles();
        try
        {
            var compose = Path.Combine(copy, "docker-compose.yml");
            var text = await File.ReadAllTextAsync(compose);
            text = text.Replace("      FileVault__Search__Meilisearch__Url: ${FILEVAULT_MEILI_URL:-}\n", "", StringComparison.Ordinal)
                .Replace("POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "FILEVAULT_PG_SECRET:?set it}", StringComparison.Ordinal);
            await File.WriteAllTextAsync(compose, text);

            var (exitCode, output) = await CheckAsync(copy);

            Assert.NotEqual(0, exitCode);
            Assert.Contains("FAILED: compose variables and the search profile", output, StringComparison.Ordinal);
            Assert.Contains("app: FileVault__Search__Meilisearch__Url is not set from FILEVAULT_MEILI_URL", output, StringComparison.Ordinal);
            Assert.Contains("${FILEVAULT_PG_SECRET} has no default and .env.example does not list it", output, StringComparison.Ordinal);
            Assert.Contains("ok: compose files (dclint", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>The files check-deploy.sh reads, in a temp checkout of their own.</summary>
    private static string CopyOfDeploymentFiles()
    {
        var copy = Directory.CreateTempSubdirectory("filevault-deploy-").FullName;
        foreach (var file in DeploymentFiles)
        {
            File.Copy(Path.Combine(TestEnvironment.RepositoryRoot, file), Path.Combine(copy, file));
        }

        var scripts = Directory.CreateDirectory(Path.Combine(copy, "scripts")).FullName;
        foreach (var script in Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot, "scripts")))
        {
            // File.Copy keeps the mode on Unix: the scripts stay executable.
            File.Copy(script, Path.Combine(scripts, Path.GetFileName(script)));
        }

        // The stand-in systemctl of scripts/test-install.sh, which check-deploy.sh lints with the scripts.
        var testInstall = Directory.CreateDirectory(Path.Combine(scripts, "test-install")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "test-install")))
        {
            File.Copy(file, Path.Combine(testInstall, Path.GetFileName(file)));
        }

        return copy;
    }

    private static async Task<(int ExitCode, string Output)> CheckAsync(string checkout)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "check-deploy.sh"));
        start.ArgumentList.Add(checkout);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
