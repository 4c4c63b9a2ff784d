using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>The intents table of a database the previous version created is brought up to date, keeping what it holds.</summary>
public sealed class IntentStoreMigrationTests
{
    [Fact]
    public async Task A_database_created_before_stop_timeouts_gains_the_column_and_its_intents_carry_down_t_from_then_on()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("nk_server_"));
        await using (var previous = dataSource.CreateCommand(
            """
            CREATE TABLE nanokit_intents (
              project text PRIMARY KEY,
              generation bigint NOT NULL,
              desired text NOT NULL,
              runtime text NOT NULL,
              spec jsonb,
              accepted_at timestamptz NOT NULL,
              revision bigint NOT NULL DEFAULT 0);
            INSERT INTO nanokit_intents VALUES ('before', 3, 'undeployed', 'docker', NULL, now(), 5);
            """))
        {
            await previous.ExecuteNonQueryAsync();
        }

        var store = new IntentStore(dataSource, "nanokit_intents", "nanokit_events", 1);
        await store.InitializeAsync(CancellationToken.None);
        var kept = (await store.PendingAsync(["before"], null, _ => true, CancellationToken.None)).Intents;
        var accepted = await store.DeleteAsync("before", TimeSpan.FromSeconds(3), "test", CancellationToken.None);
        var pending = (await store.PendingAsync(["before"], null, _ => true, CancellationToken.None)).Intents;

        Assert.Equal(new Intent("before", 3, null), Assert.Single(kept));
        Assert.Equal(new Accepted(4, 6), accepted);
        Assert.Equal(new Intent("before", 4, null) { StopTimeout = TimeSpan.FromSeconds(3) }, Assert.Single(pending));
    }
}
