using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Events;
using Nanokit.Server.Intents;
using Nanokit.Server.Runtime;
using Nanokit.TestSupport;
using Npgsql;

namespace Nanokit.Server.Tests;

public sealed class ObservedStoreTests
{
    [Fact]
    public async Task A_runs_observations_commit_with_its_next_event_in_one_write()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("observed"));
        await new IntentStore(dataSource, "intents", "events", 1).InitializeAsync(CancellationToken.None);
        await CountWritesAsync(dataSource);

        // The store's own writer would wait ten minutes: only the event's transaction can have written the observation.
        var store = new ObservedStore(dataSource, "node-a", TimeSpan.FromMinutes(10));
        var log = new EventLog(dataSource, "events", 100, store);
        await store.StartAsync(CancellationToken.None);
        try
        {
            // As a run records them: the observation, then a replica created, then started; then its progress event.
            foreach (var state in new[] { ReplicaState.Missing, ReplicaState.Exited, ReplicaState.Running })
            {
                store.Record("shop", new ObservedState([new ObservedReplica("web", 1, "hash", state)]));
            }

            store.Record("cart", new ObservedState([new ObservedReplica("api", 1, "hash", ReplicaState.Running)]));
            await log.WriteAsync([], [ProjectEvents.Accepted("shop", 1, "node-a", DesiredState.Deployed)], CancellationToken.None);

            var stored = await store.ReadAsync("shop", CancellationToken.None);
            Assert.Equal(ReplicaState.Running, Assert.Single(stored!.State.Replicas).State);
            Assert.Null(await store.ReadAsync("cart", CancellationToken.None));
            await using var writes = dataSource.CreateCommand("SELECT count(*) FROM observed_writes WHERE project = 'shop'");
            Assert.Equal(1L, await writes.ExecuteScalarAsync());
        }
        finally
        {
            await store.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_observation_no_event_carries_is_written_after_the_delay()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("observed"));
        await new IntentStore(dataSource, "intents", "events", 1).InitializeAsync(CancellationToken.None);
        var store = new ObservedStore(dataSource, "node-a", TimeSpan.FromMilliseconds(100));
        await store.StartAsync(CancellationToken.None);
        try
        {
            store.Record("shop", new ObservedState([new ObservedReplica("web", 1, "hash", ReplicaState.Exited)]));
            await Eventually.Async(TimeSpan.FromSeconds(30), async () =>
                Assert.Equal(ReplicaState.Exited, Assert.Single((await store.ReadAsync("shop", CancellationToken.None))!.State.Replicas).State));
        }
        finally
        {
            await store.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_event_write_that_fails_leaves_the_observation_waiting_for_the_next_write()
    {
        await using var dataSource = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("observed"));
        await new IntentStore(dataSource, "intents", "events", 1).InitializeAsync(CancellationToken.None);
        var store = new ObservedStore(dataSource, "node-a", TimeSpan.FromMinutes(10));
        await store.StartAsync(CancellationToken.None);

        store.Record("shop", new ObservedState([new ObservedReplica("web", 1, "hash", ReplicaState.Running)]));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.WriteAlongAsync(["shop"], _ => throw new InvalidOperationException("the transaction failed"), CancellationToken.None));
        await store.StopAsync(CancellationToken.None);

        Assert.Equal(ReplicaState.Running, Assert.Single((await store.ReadAsync("shop", CancellationToken.None))!.State.Replicas).State);
    }

    [Fact]
    public async Task A_graceful_stop_writes_the_observation_that_still_waits()
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

    private static async Task CountWritesAsync(NpgsqlDataSource dataSource)
    {
        await using var counter = dataSource.CreateCommand(
            """
            CREATE TABLE observed_writes (project text NOT NULL);
            CREATE FUNCTION count_observed_write() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN INSERT INTO observed_writes VALUES (NEW.project); RETURN NEW; END $$;
            CREATE TRIGGER observed_writes AFTER INSERT OR UPDATE ON nanokit_observed FOR EACH ROW EXECUTE FUNCTION count_observed_write();
            """);
        await counter.ExecuteNonQueryAsync();
    }
}
