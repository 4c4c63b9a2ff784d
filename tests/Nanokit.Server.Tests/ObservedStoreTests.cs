using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Server.Intents;
using Nanokit.Server.Runtime;
using Nanokit.TestSupport;
using Npgsql;

namespace Nanokit.Server.Tests;

public sealed class ObservedStoreTests
{
    [Fact]
    public async Task A_runs_successive_observations_of_a_project_are_written_once()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("observed"));
        await new IntentStore(dataSource, "intents", "events", 1).InitializeAsync(CancellationToken.None);
        await using (var counter = dataSource.CreateCommand(
            """
            CREATE TABLE observed_writes (project text NOT NULL);
            CREATE FUNCTION count_observed_write() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN INSERT INTO observed_writes VALUES (NEW.project); RETURN NEW; END $$;
            CREATE TRIGGER observed_writes AFTER INSERT OR UPDATE ON nanokit_observed FOR EACH ROW EXECUTE FUNCTION count_observed_write();
            """))
        {
            await counter.ExecuteNonQueryAsync();
        }

        var store = new ObservedStore(dataSource, "node-a", TimeSpan.FromSeconds(2));
        await store.StartAsync(CancellationToken.None);
        try
        {
            // As a run records them: the observation, then a replica created, then started, a few moments apart.
            var replicas = ImmutableArray<ObservedReplica>.Empty;
            foreach (var state in new[] { ReplicaState.Missing, ReplicaState.Exited, ReplicaState.Running })
            {
                replicas = [new ObservedReplica("web", 1, "hash", state)];
                store.Record("shop", new ObservedState(replicas));
                await Task.Delay(50);
            }

            await Eventually.Async(TimeSpan.FromSeconds(30), async () =>
                Assert.Equal(ReplicaState.Running, Assert.Single((await store.ReadAsync("shop", CancellationToken.None))!.State.Replicas).State));
            await using var writes = dataSource.CreateCommand("SELECT count(*) FROM observed_writes WHERE project = 'shop'");
            Assert.Equal(1L, await writes.ExecuteScalarAsync());
        }
        finally
        {
            await store.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_graceful_stop_writes_the_observation_the_delay_still_holds()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("observed"));
        await new IntentStore(dataSource, "intents", "events", 1).InitializeAsync(CancellationToken.None);
        var store = new ObservedStore(dataSource, "node-a", TimeSpan.FromMinutes(10));
        await store.StartAsync(CancellationToken.None);

        store.Record("shop", new ObservedState([new ObservedReplica("web", 1, "hash", ReplicaState.Running)]));
        store.RecordRestarts("shop", [new RestartCount("web", 1, "hash", 2)]);
        await store.StopAsync(CancellationToken.None);

        var stored = await store.ReadAsync("shop", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(ReplicaState.Running, Assert.Single(stored.State.Replicas).State);
        Assert.Equal("node-a", stored.Owner);
        Assert.Single(stored.Restarts);
    }
}
