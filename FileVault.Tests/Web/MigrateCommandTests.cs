using System.Diagnostics;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Web;

/// <summary>`FileVault.Web migrate`, the upgrade step of scripts/install.sh, as the operator's shell runs it.</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_creates_and_migrates_a_missing_database_and_a_second_run_applies_nothing()
    {
        await using var database = TestDatabase.CreateUnmigrated();

        var first = await RunAsync(database.ConnectionString);
        var second = await RunAsync(database.ConnectionString);

        await using var db = database.CreateDbContext();
        var all = db.Database.GetMigrations().ToList();
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains($"applied: {all.Count}", first.Output, StringComparison.Ordinal);
        Assert.Contains($"latest: {all[^1]}", first.Output, StringComparison.Ordinal);
        // Nothing that reads like a failure to the operator watching an upgrade.
        Assert.DoesNotContain("fail", first.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("applied: 0", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_with_a_wrong_password_exits_1_and_says_why()
    {
        await using var database = TestDatabase.CreateUnmigrated();
        var wrong = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = "fv_nobody", Password = "wrong" }.ConnectionString;

        var run = await RunAsync(wrong);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: migrating the database failed", run.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "FileVault.Web.dll"), "migrate"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
