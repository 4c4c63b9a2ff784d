using Nanokit.Persistence.Journal.PostgreSql;
using Npgsql;

namespace Nanokit.Persistence.Journal.Tests;

public sealed class AutoPrepareTests
{
    [Fact]
    public async Task The_postgresql_plugins_connections_keep_a_repeated_statement_prepared()
    {
        // Off by default (hocon/journal.conf says why); a node that turns it on gets prepared statements.
        var config = Akka.Configuration.ConfigurationFactory.ParseString("auto-prepare = 16")
            .WithFallback(Stores.PostgreSql(TempFile.Schema()).GetConfig(JournalPlugins.PostgreSqlJournal));
        var (dataSource, _) = PostgreSqlDatabase.Open(config);
        await using (dataSource)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            for (var n = 0; n < 10; n++)
            {
                await using var repeated = new NpgsqlCommand("SELECT @n + 1", connection);
                repeated.Parameters.AddWithValue("n", n);
                await repeated.ExecuteScalarAsync();
            }

            await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1 + 1%'", connection);
            Assert.Equal(1L, await prepared.ExecuteScalarAsync());
        }
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0")]
    [InlineData("Host=db;MaxAutoPrepare=3")]
    public void A_connection_strings_own_max_auto_prepare_is_kept(string connectionString) =>
        Assert.Equal(connectionString, AutoPrepare.Apply(connectionString, 16));

    [Fact]
    public void A_connection_string_without_one_gets_the_configured_count() =>
        Assert.Equal(16, new NpgsqlConnectionStringBuilder(AutoPrepare.Apply("Host=db;Username=u", 16)).MaxAutoPrepare);
}
