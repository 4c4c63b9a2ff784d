using Npgsql;

namespace Nanokit.TestSupport;

/// <summary>A fresh database per fixture on the test PostgreSQL (NANOKIT_TEST_POSTGRES; a missing one fails the test).</summary>
public static class TestPostgres
{
    /// <summary>A new database on NANOKIT_TEST_POSTGRES named <paramref name="prefix"/> and a random suffix; its connection string.</summary>
    public static Task<string> CreateDatabaseAsync(string prefix)
    {
        var server = Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES");
        Assert.False(string.IsNullOrEmpty(server), "NANOKIT_TEST_POSTGRES is not set: scripts/test.sh starts PostgreSQL and sets it");
        return CreateDatabaseAsync(server, prefix + Guid.NewGuid().ToString("N")[..12]);
    }

    /// <summary>Creates the database <paramref name="name"/> on the server <paramref name="server"/> names; its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string server, string name)
    {
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }
}
