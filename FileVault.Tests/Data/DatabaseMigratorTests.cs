using FileVault.Core.Data;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Data;

public sealed class DatabaseMigratorTests
{
    [Fact]
    public async Task Two_instances_migrating_a_missing_database_at_once_both_succeed()
    {
        await using var database = TestDatabase.CreateUnmigrated();
        await using var first = database.CreateDbContext();
        await using var second = database.CreateDbContext();

        await Task.WhenAll(
            DatabaseMigrator.MigrateAsync(first, CancellationToken.None),
            DatabaseMigrator.MigrateAsync(second, CancellationToken.None));

        await using var check = database.CreateDbContext();
        Assert.Empty(await check.Database.GetPendingMigrationsAsync());
        Assert.Equal(0, await check.StorageRoots.CountAsync());
        var trigram = await check.Database.SqlQueryRaw<string>("SELECT extname AS \"Value\" FROM pg_extension WHERE extname = 'pg_trgm'").ToListAsync();
        Assert.Single(trigram);
    }
}
