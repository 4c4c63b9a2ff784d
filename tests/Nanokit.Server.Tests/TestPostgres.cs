using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>A fresh database per fixture on the test PostgreSQL (NANOKIT_TEST_POSTGRES; a missing one fails the test).</summary>
internal static class TestPostgres
{
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES");
        Assert.False(string.IsNullOrEmpty(server), "NANOKIT_TEST_POSTGRES is not set: scripts/test.sh starts PostgreSQL and sets it");
        var name = "nk_server_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }
}
