using System.Text.RegularExpressions;

namespace FileVault.Tests.Architecture;

/// <summary>
/// FileVault.Web renders and routes; everything that touches the database or reads the clock is a Core service, where
/// permissions are checked and tests can reach it. These tests read Web's sources and name every line that breaks that.
/// </summary>
public sealed partial class WebCallsCoreTests
{
    [Fact]
    public void Web_uses_no_DbContext_SQL_or_clock()
    {
        var offences = SourceFiles.Read("FileVault.Web")
            .SelectMany(file => file.Code.Split('\n').Select((line, index) => (file.Path, Line: index + 1, Text: line)))
            .Where(line => Forbidden().IsMatch(line.Text))
            .Select(line => $"{line.Path}:{line.Line}: {line.Text.Trim()}")
            .ToList();

        Assert.True(offences.Count == 0, "FileVault.Web must call Core services instead:\n" + string.Join('\n', offences));
    }

    [Theory]
    [InlineData("var db = scope.ServiceProvider.GetRequiredService<FileVaultDbContext>();")]
    [InlineData("IDbContextFactory<X> contexts")]
    [InlineData("await db.Database.ExecuteSqlRawAsync(sql);")]
    [InlineData("context.Entries.FromSql($\"...\")")]
    [InlineData("await using var connection = new NpgsqlConnection(text);")]
    [InlineData("Expires = DateTimeOffset.UtcNow.AddYears(1)")]
    [InlineData("var now = DateTime.Now;")]
    public void The_check_catches_each_kind_of_line(string line) => Assert.Matches(Forbidden(), line);

    [GeneratedRegex(@"\bDbContext\b|DbContextFactory|FileVaultDbContext|\bExecuteSql|\bFromSql|\bSqlQuery|\bNpgsql(Connection|Command|DataSource)\b|\bDateTime(Offset)?\.(UtcNow|Now|Today)\b")]
    private static partial Regex Forbidden();
}
