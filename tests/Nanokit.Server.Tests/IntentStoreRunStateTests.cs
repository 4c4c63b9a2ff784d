using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>The stopped set and the restart list stored with an intent, on a table the previous version created.</summary>
public sealed class IntentStoreRunStateTests
{
    [Fact]
    public async Task A_database_created_before_run_states_gains_the_columns_a_stop_is_delivered_with_its_set_and_a_check_against_an_old_generation_writes_nothing()
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
              revision bigint NOT NULL DEFAULT 0,
              stop_timeout interval);
            INSERT INTO nanokit_intents VALUES ('before', 3, 'deployed', 'docker', NULL, now(), 5, NULL);
            """))
        {
            await previous.ExecuteNonQueryAsync();
        }

        var store = new IntentStore(dataSource, "nanokit_intents", "nanokit_events", 1);
        await store.InitializeAsync(CancellationToken.None);
        var kept = Assert.Single((await store.PendingAsync(["before"], null, _ => true, CancellationToken.None)).Intents);
        var stale = await store.ChangeRunStateAsync("before", 2, ["api"], [], null, "test", CancellationToken.None);
        var accepted = await store.ChangeRunStateAsync("before", 3, ["api", "db"], ["web"], TimeSpan.FromSeconds(2), "test", CancellationToken.None);
        var pending = Assert.Single((await store.PendingAsync(["before"], null, _ => true, CancellationToken.None)).Intents);
        var read = await store.IntentAsync("before", CancellationToken.None);
        await store.DeleteAsync("before", null, "test", CancellationToken.None);
        var deleted = Assert.Single((await store.PendingAsync(["before"], null, _ => true, CancellationToken.None)).Intents);
        var undeployed = await store.ChangeRunStateAsync("before", 5, ["api"], [], null, "test", CancellationToken.None);

        Assert.Equal(new Intent("before", 3, null), kept);
        Assert.Null(stale);
        Assert.Equal(new Accepted(4, 6), accepted);
        Assert.Equal((4L, "api,db", "web", TimeSpan.FromSeconds(2)), (pending.Generation, string.Join(',', pending.Stopped), string.Join(',', pending.Restart), pending.StopTimeout));
        Assert.Equal("api,db", string.Join(',', read!.Stopped));
        Assert.Equal((5L, 0, 0), (deleted.Generation, deleted.Stopped.Length, deleted.Restart.Length));
        Assert.Null(undeployed);
    }

    [Fact]
    public async Task The_view_GetProject_reads_carries_the_stopped_set_of_the_latest_intent_so_the_spec_is_not_read_again()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("nk_server_"));
        var store = new IntentStore(dataSource, "nanokit_intents", "nanokit_events", 1);
        await store.InitializeAsync(CancellationToken.None);
        await using (var deployed = dataSource.CreateCommand("INSERT INTO nanokit_intents (project, generation, desired, runtime, spec, accepted_at, revision) VALUES ('shop', 1, 'deployed', 'docker', '{}', now(), 1);"))
        {
            await deployed.ExecuteNonQueryAsync();
        }

        var running = await store.GetAsync("shop", CancellationToken.None);
        await store.ChangeRunStateAsync("shop", 1, ["web", "api"], [], null, "test", CancellationToken.None);
        var stopped = await store.GetAsync("shop", CancellationToken.None);
        var listed = Assert.Single(await store.ListAsync(10, 0, CancellationToken.None));
        await store.DeleteAsync("shop", null, "test", CancellationToken.None);
        var deleted = await store.GetAsync("shop", CancellationToken.None);

        Assert.Empty(running!.Stopped);
        Assert.Equal((2L, "web,api"), (stopped!.Generation, string.Join(',', stopped.Stopped)));
        Assert.Equal("web,api", string.Join(',', listed.Stopped));
        Assert.Equal((3L, 0), (deleted!.Generation, deleted.Stopped.Length));
    }
}
