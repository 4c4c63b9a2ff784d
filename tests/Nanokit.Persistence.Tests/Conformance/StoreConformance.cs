using Nanokit.Actors;
using Nanokit.Actors.TestKit;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Tests.Support;
using Xunit;

namespace Nanokit.Persistence.Tests.Conformance;

/// <summary>
/// The journal and snapshot store contract, run against every engine by a derived class.
/// Each test instance gets a fresh database; opening a journal twice reaches the same one,
/// as a restarted process would.
/// </summary>
public abstract class StoreConformance : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _opened = [];

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var opened in _opened)
        {
            await opened.DisposeAsync();
        }
    }

    [Fact]
    public async Task Appended_events_are_read_back_in_order_within_a_range()
    {
        var journal = await JournalAsync();
        await journal.AppendAsync([Event("cart-1", 1, new ItemAdded("apple", 1)), Event("cart-1", 2, new ItemAdded("pear", 2))], default);
        await journal.AppendAsync([Event("cart-1", 3, new ItemRemoved("apple"))], default);
        await journal.AppendAsync([Event("cart-2", 1, new ItemAdded("fig", 9))], default);

        var all = await journal.ReadAsync("cart-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync();
        Assert.Equal([1L, 2L, 3L], all.Select(e => e.SequenceNr));
        Assert.Equal(new ItemAdded("pear", 2), all[1].Payload);
        Assert.Equal(new ItemRemoved("apple"), all[2].Payload);
        Assert.All(all, e => Assert.Equal("cart-1", e.PersistenceId));

        var middle = await journal.ReadAsync("cart-1", 2, 3, long.MaxValue, default).ToListAsync();
        Assert.Equal([2L, 3L], middle.Select(e => e.SequenceNr));
        var limited = await journal.ReadAsync("cart-1", 1, long.MaxValue, 2, default).ToListAsync();
        Assert.Equal([1L, 2L], limited.Select(e => e.SequenceNr));
        Assert.Empty(await journal.ReadAsync("nobody", 1, long.MaxValue, long.MaxValue, default).ToListAsync());
    }

    [Fact]
    public async Task Events_survive_reopening_the_journal_with_their_tags_and_timestamp()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        await (await JournalAsync()).AppendAsync([new PersistentEvent("cart-1", 1, new ItemAdded("apple", 1), ["fruit", "cart"], at)], default);

        var reopened = await JournalAsync();
        var read = Assert.Single(await reopened.ReadAsync("cart-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync());
        Assert.Equal(at, read.Timestamp);
        Assert.Equal(["fruit", "cart"], read.Tags.AsEnumerable());
    }

    [Fact]
    public async Task Highest_sequence_nr_is_zero_for_an_unknown_id_and_the_last_written_otherwise()
    {
        var journal = await JournalAsync();
        Assert.Equal(0, await journal.ReadHighestSequenceNrAsync("cart-1", default));
        await journal.AppendAsync([Event("cart-1", 1, new ItemAdded("a", 1)), Event("cart-1", 2, new ItemAdded("b", 1))], default);
        Assert.Equal(2, await journal.ReadHighestSequenceNrAsync("cart-1", default));
    }

    [Fact]
    public async Task An_append_with_a_taken_sequence_nr_is_rejected_and_none_of_it_is_written()
    {
        var journal = await JournalAsync();
        await journal.AppendAsync([Event("cart-1", 1, new ItemAdded("a", 1)), Event("cart-1", 2, new ItemAdded("b", 1))], default);

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(() =>
            journal.AppendAsync([Event("cart-1", 2, new ItemAdded("second writer", 1)), Event("cart-1", 3, new ItemAdded("c", 1))], default));

        Assert.Equal("cart-1", conflict.PersistenceId);
        Assert.Contains("another writer", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(2, await journal.ReadHighestSequenceNrAsync("cart-1", default));
        var read = await journal.ReadAsync("cart-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync();
        Assert.Equal(new ItemAdded("b", 1), read[^1].Payload);
    }

    [Fact]
    public async Task A_second_journal_writing_the_same_id_is_rejected_by_the_database()
    {
        var first = await JournalAsync();
        var second = await JournalAsync();
        await first.AppendAsync([Event("cart-1", 1, new ItemAdded("a", 1))], default);

        await Assert.ThrowsAsync<JournalConflictException>(() => second.AppendAsync([Event("cart-1", 1, new ItemAdded("b", 1))], default));
    }

    [Fact]
    public async Task A_conflicting_append_fails_alone_while_the_rest_of_its_batch_commits()
    {
        var journal = await JournalAsync();
        await journal.AppendAsync([Event("taken", 1, new ItemAdded("a", 1))], default);

        var appends = Enumerable.Range(0, 50)
            .Select(i => journal.AppendAsync([Event($"free-{i}", 1, new ItemAdded("x", i))], default))
            .Append(journal.AppendAsync([Event("taken", 1, new ItemAdded("b", 1))], default))
            .ToList();
        await Assert.ThrowsAsync<JournalConflictException>(() => appends[^1]);
        await Task.WhenAll(appends.Take(50));

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(1, await journal.ReadHighestSequenceNrAsync($"free-{i}", default));
        }
    }

    [Fact]
    public async Task Concurrent_appends_from_many_ids_are_batched_into_fewer_commits()
    {
        const int ids = 100;
        const int appendsPerId = 10;
        var journal = await JournalAsync();

        await Task.WhenAll(Enumerable.Range(0, ids).Select(async id =>
        {
            for (var seq = 1; seq <= appendsPerId; seq++)
            {
                await journal.AppendAsync([Event($"actor-{id}", seq, new ItemAdded("x", seq))], default);
            }
        }));

        Assert.InRange(CommittedBatches(journal), 1, (ids * appendsPerId) - 1);
        for (var id = 0; id < ids; id++)
        {
            var read = await journal.ReadAsync($"actor-{id}", 1, long.MaxValue, long.MaxValue, default).ToListAsync();
            Assert.Equal(Enumerable.Range(1, appendsPerId).Select(i => (long)i), read.Select(e => e.SequenceNr));
        }
    }

    [Fact]
    public async Task Delete_to_removes_events_but_keeps_the_highest_sequence_nr()
    {
        var journal = await JournalAsync();
        await journal.AppendAsync([.. Enumerable.Range(1, 5).Select(i => Event("cart-1", i, new ItemAdded("x", i), "t"))], default);

        await journal.DeleteToAsync("cart-1", 3, default);
        Assert.Equal([4L, 5L], (await journal.ReadAsync("cart-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync()).Select(e => e.SequenceNr));
        Assert.Equal([4L, 5L], (await journal.ReadByTagAsync("t", 0, 100, default)).Select(e => e.Event.SequenceNr));

        await journal.DeleteToAsync("cart-1", long.MaxValue, default);
        Assert.Empty(await journal.ReadAsync("cart-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync());
        Assert.Equal(5, await journal.ReadHighestSequenceNrAsync("cart-1", default));
        await journal.AppendAsync([Event("cart-1", 6, new ItemAdded("next", 1))], default);
        Assert.Equal(6, await journal.ReadHighestSequenceNrAsync("cart-1", default));
    }

    [Fact]
    public async Task Events_by_tag_come_in_offset_order_and_resume_after_the_last_offset_seen()
    {
        var journal = await JournalAsync();
        await journal.AppendAsync([Event("a", 1, new ItemAdded("a1", 1), "red"), Event("a", 2, new ItemAdded("a2", 1), "blue")], default);
        await journal.AppendAsync([Event("b", 1, new ItemAdded("b1", 1), "red", "blue")], default);
        await journal.AppendAsync([Event("a", 3, new ItemAdded("a3", 1), "red")], default);

        var red = await journal.ReadByTagAsync("red", 0, 100, default);
        Assert.Equal(["a1", "b1", "a3"], red.Select(e => ((ItemAdded)e.Event.Payload).Name));
        Assert.True(red.Zip(red.Skip(1)).All(pair => pair.First.Offset < pair.Second.Offset));

        var firstPage = await journal.ReadByTagAsync("red", 0, 2, default);
        Assert.Equal(2, firstPage.Count);
        var rest = await journal.ReadByTagAsync("red", firstPage[^1].Offset, 100, default);
        Assert.Equal(["a3"], rest.Select(e => ((ItemAdded)e.Event.Payload).Name));
        Assert.Equal(["a2", "b1"], (await journal.ReadByTagAsync("blue", 0, 100, default)).Select(e => ((ItemAdded)e.Event.Payload).Name));
        Assert.Empty(await journal.ReadByTagAsync("red", red[^1].Offset, 100, default));
        Assert.Empty(await journal.ReadByTagAsync("green", 0, 100, default));
    }

    [Fact]
    public async Task An_old_event_shape_is_read_by_new_code_through_its_upcaster()
    {
        var oldCode = await JournalAsync(TestRegistry.Old);
        await oldCode.AppendAsync([Event("price-1", 1, new PriceSetV1(12.5m)), Event("price-1", 2, new ItemAdded("a", 1))], default);

        var newCode = await JournalAsync(TestRegistry.Current);
        await newCode.AppendAsync([Event("price-1", 3, new PriceSet(13m, "USD"))], default);
        var read = await newCode.ReadAsync("price-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync();

        Assert.Equal([new PriceSet(12.5m, "EUR"), new ItemAdded("a", 1), new PriceSet(13m, "USD")], read.Select(e => e.Payload));
    }

    [Fact]
    public async Task The_latest_snapshot_is_loaded_and_criteria_bound_sequence_nr_and_time()
    {
        var store = await SnapshotStoreAsync();
        Assert.Null(await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest, default));
        await store.SaveAsync(new SnapshotMetadata("cart-1", 5, At(1000)), new CartState(5), default);
        await store.SaveAsync(new SnapshotMetadata("cart-1", 10, At(2000)), new CartState(10), default);
        await store.SaveAsync(new SnapshotMetadata("cart-2", 50, At(3000)), new CartState(50), default);

        var latest = await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest, default);
        Assert.Equal(new SelectedSnapshot(new SnapshotMetadata("cart-1", 10, At(2000)), new CartState(10)), latest);
        Assert.Equal(5, (await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest with { MaxSequenceNr = 9 }, default))?.Metadata.SequenceNr);
        Assert.Equal(5, (await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest with { MaxTimestamp = At(1500) }, default))?.Metadata.SequenceNr);
        Assert.Null(await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest with { MinSequenceNr = 11 }, default));
        Assert.Null(await store.LoadAsync("cart-1", SnapshotSelectionCriteria.None, default));
    }

    [Fact]
    public async Task Saving_a_snapshot_twice_at_one_sequence_nr_keeps_the_last()
    {
        var store = await SnapshotStoreAsync();
        await store.SaveAsync(new SnapshotMetadata("cart-1", 5, At(1000)), new CartState(1), default);
        await store.SaveAsync(new SnapshotMetadata("cart-1", 5, At(1000)), new CartState(2), default);
        Assert.Equal(new CartState(2), (await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest, default))?.Snapshot);
    }

    [Fact]
    public async Task Deleted_snapshots_are_no_longer_loaded()
    {
        var store = await SnapshotStoreAsync();
        await store.SaveAsync(new SnapshotMetadata("cart-1", 5, At(1000)), new CartState(5), default);
        await store.SaveAsync(new SnapshotMetadata("cart-1", 10, At(2000)), new CartState(10), default);

        await store.DeleteAsync("cart-1", SnapshotSelectionCriteria.Latest with { MinSequenceNr = 6 }, default);
        Assert.Equal(5, (await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest, default))?.Metadata.SequenceNr);
        await store.DeleteAsync("cart-1", SnapshotSelectionCriteria.Latest, default);
        Assert.Null(await store.LoadAsync("cart-1", SnapshotSelectionCriteria.Latest, default));
    }

    [Fact]
    public async Task A_persistent_actor_compacted_to_its_snapshot_recovers_from_it_and_the_events_after()
    {
        using var kit = new ActorKit();
        var settings = new PersistenceSettings(await JournalAsync(CounterActor.Registry), await OpenSnapshotStoreAsync(CounterActor.Registry));
        var counter = kit.Sys.ActorOf(Props.Create(() => new CounterActor("counter-1", kit.TestActor, settings)));
        kit.ExpectMsg(new Recovered(0, 0));
        counter.Tell(new AddMany([1, 2, 3]));
        kit.ReceiveN(3);
        counter.Tell(TakeSnapshot.Instance);
        kit.ExpectMsg<SaveSnapshotSucceeded>();
        counter.Tell(new Add(4));
        kit.ExpectMsg(new AddAcked(4, 4));
        counter.Tell(TakeSnapshot.Instance);
        Assert.Equal(4, kit.ExpectMsg<SaveSnapshotSucceeded>().Metadata.SequenceNr);
        counter.Tell(new DeleteUpTo(4));
        kit.ExpectMsg(new DeleteMessagesSucceeded(4));
        counter.Tell(new DeleteSnapshotsUpTo(3));
        kit.ExpectMsg<DeleteSnapshotsSucceeded>();
        counter.Tell(new Add(5));
        kit.ExpectMsg(new AddAcked(5, 5));
        kit.Watch(counter);
        kit.Sys.Stop(counter);
        kit.ExpectTerminated(counter);

        var reopened = new PersistenceSettings(await JournalAsync(CounterActor.Registry), await OpenSnapshotStoreAsync(CounterActor.Registry));
        Assert.Equal([5L], (await reopened.Journal.ReadAsync("counter-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync()).Select(e => e.SequenceNr));
        Assert.Null(await reopened.SnapshotStore.LoadAsync("counter-1", SnapshotSelectionCriteria.Latest with { MaxSequenceNr = 3 }, default));
        kit.Sys.ActorOf(Props.Create(() => new CounterActor("counter-1", kit.TestActor, reopened)));
        Assert.Equal(4, kit.ExpectMsg<SnapshotOffer>().Metadata.SequenceNr);
        kit.ExpectMsg(new Recovered(15, 5));
    }

    [Fact]
    public async Task Schema_migration_is_idempotent_and_safe_when_stores_start_at_once()
    {
        var opening = Enumerable.Range(0, 4).Select(_ => JournalAsync()).ToList();
        var snapshotOpening = Enumerable.Range(0, 2).Select(_ => SnapshotStoreAsync()).ToList();
        var journals = await Task.WhenAll(opening);
        await Task.WhenAll(snapshotOpening);
        await JournalAsync();

        await journals[0].AppendAsync([Event("cart-1", 1, new ItemAdded("a", 1))], default);
        Assert.Equal(1, await journals[3].ReadHighestSequenceNrAsync("cart-1", default));
        Assert.Equal(ExpectedSchemaVersions, await ReadSchemaVersionsAsync());
    }

    protected virtual IReadOnlyList<int> ExpectedSchemaVersions => [1];

    protected static PersistentEvent Event(string persistenceId, long sequenceNr, object payload, params string[] tags) =>
        PersistentEvent.Create(persistenceId, sequenceNr, payload, tags);

    protected static DateTimeOffset At(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + unixMs);

    /// <summary>Opens a journal over this test's database; each call is a separate instance (a separate "process").</summary>
    protected abstract Task<IJournal> OpenJournalAsync(EventRegistry registry);

    protected abstract Task<ISnapshotStore> OpenSnapshotStoreAsync(EventRegistry registry);

    /// <summary>The versions recorded in schema_version (the in-memory engine has none to record).</summary>
    protected abstract Task<IReadOnlyList<int>> ReadSchemaVersionsAsync();

    protected abstract long CommittedBatches(IJournal journal);

    private async Task<IJournal> JournalAsync(EventRegistry? registry = null)
    {
        var journal = await OpenJournalAsync(registry ?? TestRegistry.Current);
        if (journal is IAsyncDisposable disposable)
        {
            lock (_opened)
            {
                _opened.Add(disposable);
            }
        }

        return journal;
    }

    private Task<ISnapshotStore> SnapshotStoreAsync() => OpenSnapshotStoreAsync(TestRegistry.Current);

    /// <summary>An actor system and test actor for the specs that run a persistent actor on the engine.</summary>
    private sealed class ActorKit() : TestKit("conformance");
}
