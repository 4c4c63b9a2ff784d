using Nanokit.Persistence.Journal.PostgreSql;
using Npgsql;

namespace Nanokit.Persistence.Journal.Tests;

/// <summary>
/// The PostgreSQL plugins create their tables at first use. A first use that fails (here: the database does not exist
/// yet, as a store not up) must not be remembered: once the store answers, the same plugin instance writes and reads.
/// </summary>
public sealed class PostgreSqlFirstUseTests
{
    [Fact]
    public async Task An_event_store_whose_first_use_failed_reads_and_writes_once_the_database_answers()
    {
        await WithLateDatabaseAsync(
            url => new PostgreSqlEventStore(NpgsqlDataSource.Create(url), "nanokit", new ReadSettings(100, 1)),
            events => events.ReadHighestAsync("project|late", CancellationToken.None),
            async events => Assert.Equal(0, await events.ReadHighestAsync("project|late", CancellationToken.None)));
    }

    [Fact]
    public async Task A_snapshot_store_whose_first_use_failed_loads_once_the_database_answers()
    {
        var range = new SnapshotRange(0, long.MaxValue, 0, long.MaxValue);
        await WithLateDatabaseAsync(
            url => new PostgreSqlSnapshotRows(NpgsqlDataSource.Create(url), "nanokit", new ReadSettings(100, 1)),
            rows => rows.LoadAsync("project|late", range, CancellationToken.None),
            async rows => Assert.Null(await rows.LoadAsync("project|late", range, CancellationToken.None)));
    }

    /// <summary>Uses a store on a database created only after <paramref name="first"/> failed, then <paramref name="then"/>.</summary>
    private static async Task WithLateDatabaseAsync<T>(Func<string, T> open, Func<T, Task> first, Func<T, Task> then)
        where T : IAsyncDisposable
    {
        var admin = Stores.PostgresUrl();
        var name = "nk_first_use_" + Guid.NewGuid().ToString("N")[..12];
        var store = open(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString());
        try
        {
            var failed = await Assert.ThrowsAsync<PostgresException>(() => first(store));
            Assert.Equal(PostgresErrorCodes.InvalidCatalogName, failed.SqlState);

            await ExecuteAsync(admin, $"CREATE DATABASE {name}");
            await then(store);
        }
        finally
        {
            await store.DisposeAsync();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }
    }

    private static async Task ExecuteAsync(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(url);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
