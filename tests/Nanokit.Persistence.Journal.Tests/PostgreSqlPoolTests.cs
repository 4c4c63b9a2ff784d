using Nanokit.Persistence.Journal.PostgreSql;
using Npgsql;

namespace Nanokit.Persistence.Journal.Tests;

public sealed class PostgreSqlPoolTests
{
    [Fact]
    public void A_connection_string_without_pool_settings_gets_no_reset_on_return_and_auto_prepared_statements()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgreSqlPool.Tuned("Host=db;Database=nanokit;Timeout=5"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(64, tuned.MaxAutoPrepare);
        Assert.Equal(("db", "nanokit", 5), (tuned.Host, tuned.Database, tuned.Timeout));
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;noresetonclose=False;MAXAUTOPREPARE=0")]
    public void What_the_operator_set_is_kept_however_it_is_spelled(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgreSqlPool.Tuned(connectionString));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }
}
