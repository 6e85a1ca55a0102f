using FileVault.Core.Data;
using FileVault.Tests.Infrastructure;
using Npgsql;

namespace FileVault.Tests.Data;

public sealed class DataSourceTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        using var defaulted = DataServiceCollectionExtensions.CreateDataSource("Host=localhost;Database=x");
        using var off = DataServiceCollectionExtensions.CreateDataSource("Host=localhost;Database=x;Max Auto Prepare=0");
        using var chosen = DataServiceCollectionExtensions.CreateDataSource("Host=localhost;Database=x;Max Auto Prepare=7");

        Assert.Equal(DataServiceCollectionExtensions.DefaultMaxAutoPrepare, new NpgsqlConnectionStringBuilder(defaulted.ConnectionString).MaxAutoPrepare);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(off.ConnectionString).MaxAutoPrepare);
        Assert.Equal(7, new NpgsqlConnectionStringBuilder(chosen.ConnectionString).MaxAutoPrepare);
    }

    [Fact]
    public async Task A_pooled_connection_comes_back_with_its_prepared_plans_but_none_of_the_last_users_session_state()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var source = DataServiceCollectionExtensions.CreateDataSource(
            new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);

        int firstBackend;
        await using (var connection = await source.OpenConnectionAsync())
        {
            firstBackend = await ScalarAsync<int>(connection, "SELECT pg_backend_pid()");
            // Used often enough to be prepared.
            for (var i = 0; i < 6; i++)
            {
                await ScalarAsync<long>(connection, "SELECT count(*) FROM entries WHERE id > 0");
            }

            await ScalarAsync<string>(connection, "SELECT set_config('statement_timeout', '1234ms', false)");
            await ScalarAsync<bool>(connection, "SELECT pg_try_advisory_lock(4242)");
            await ScalarAsync<int>(connection, "CREATE TEMP TABLE left_behind (x int); SELECT 1");
        }

        await using (var connection = await source.OpenConnectionAsync())
        {
            // The same session, handed back by the pool.
            Assert.Equal(firstBackend, await ScalarAsync<int>(connection, "SELECT pg_backend_pid()"));
            // Its plans survived the reset (DISCARD ALL would have deallocated them, and with them PL/pgSQL's cached plans)...
            Assert.True(await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_prepared_statements") > 0);
            // ...and the last user's settings, session locks and temporary tables did not.
            Assert.Equal("0", await ScalarAsync<string>(connection, "SHOW statement_timeout"));
            Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"));
            Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_class WHERE relname = 'left_behind'"));
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
