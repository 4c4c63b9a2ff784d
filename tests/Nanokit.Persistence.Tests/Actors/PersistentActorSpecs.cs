using Nanokit.Actors;
using Nanokit.Actors.Supervision;
using Nanokit.Actors.TestKit;
using Nanokit.Persistence.InMemory;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Tests.Support;
using Xunit;

namespace Nanokit.Persistence.Tests.Actors;

public sealed class PersistentActorSpecs : TestKit, IAsyncLifetime
{
    private readonly InMemoryStorage _storage = new();
    private readonly InMemoryJournal _inner;
    private readonly ControllableJournal _journal;
    private readonly InMemorySnapshotStore _snapshots;

    public PersistentActorSpecs()
    {
        _inner = new InMemoryJournal(_storage, CounterActor.Registry);
        _journal = new ControllableJournal(_inner);
        _snapshots = new InMemorySnapshotStore(_storage, CounterActor.Registry);
        Persistence.Register(Sys, new PersistenceSettings(_journal, _snapshots));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _inner.DisposeAsync();

    [Fact]
    public async Task Recovery_replays_persisted_events_in_order()
    {
        await _inner.AppendAsync([.. Enumerable.Range(1, 5).Select(i => PersistentEvent.Create("counter-1", i, new Added(i)))], default);

        var counter = Counter("counter-1");

        ExpectMsg(new Recovered(15, 5));
        counter.Tell(GetState.Instance);
        var state = ExpectMsg<CurrentState>();
        Assert.Equal([1, 2, 3, 4, 5], state.History.AsEnumerable());
    }

    [Fact]
    public async Task Recovery_offers_the_snapshot_then_replays_only_the_events_after_it()
    {
        await _inner.AppendAsync([.. Enumerable.Range(1, 5).Select(i => PersistentEvent.Create("counter-1", i, new Added(i)))], default);
        await _snapshots.SaveAsync(new SnapshotMetadata("counter-1", 3, DateTimeOffset.UtcNow), new CounterSnapshot(6, [1, 2, 3]), default);

        var counter = Counter("counter-1");

        Assert.Equal(3, ExpectMsg<SnapshotOffer>().Metadata.SequenceNr);
        ExpectMsg(new Recovered(15, 5));
        counter.Tell(GetState.Instance);
        Assert.Equal([1, 2, 3, 4, 5], ExpectMsg<CurrentState>().History.AsEnumerable());
    }

    [Fact]
    public void Persisted_events_are_acknowledged_after_the_write_and_survive_a_new_incarnation()
    {
        var counter = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        counter.Tell(new Add(2));
        counter.Tell(new AddMany([3, 4]));
        ExpectMsg(new AddAcked(2, 1));
        ExpectMsg(new AddAcked(3, 2));
        ExpectMsg(new AddAcked(4, 3));

        Watch(counter);
        Sys.Stop(counter);
        ExpectTerminated(counter);
        Counter("counter-1");
        ExpectMsg(new Recovered(9, 3));
    }

    [Fact]
    public void Commands_arriving_during_a_persist_are_stashed_and_handled_in_order_afterwards()
    {
        var counter = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        _journal.CloseGate();

        counter.Tell(new Add(1));
        counter.Tell(new Add(2));
        counter.Tell(GetState.Instance);
        counter.Tell(new AddLater(3));
        counter.Tell(GetState.Instance);
        AwaitCondition(() => _journal.AppendsStarted == 1, message: "the first append reached the journal");
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        _journal.OpenGate();
        ExpectMsg(new AddAcked(1, 1));
        ExpectMsg(new AddAcked(2, 2));
        Assert.Equal([1, 2], ExpectMsg<CurrentState>().History.AsEnumerable());
        ExpectMsg(new AddAcked(3, 3));
        Assert.Equal([1, 2, 3], ExpectMsg<CurrentState>().History.AsEnumerable());
    }

    [Fact]
    public void A_journal_failure_stops_the_actor_and_a_backoff_supervisor_restarts_it_with_its_state_recovered()
    {
        var props = Props.Create(() => new CounterActor("counter-1", TestActor, null));
        var supervisor = Sys.ActorOf(BackoffSupervisor.Props(
            BackoffOptions.OnStop(props, "counter", TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), 0)));
        ExpectMsg(new Recovered(0, 0));
        supervisor.Tell(new Add(5));
        ExpectMsg(new AddAcked(5, 1));

        supervisor.Tell(BackoffSupervisor.GetCurrentChild.Instance);
        var child = ExpectMsg<BackoffSupervisor.CurrentChild>().Ref!;
        Watch(child);
        _journal.FailAppends(true);
        _journal.FailReads(true);
        supervisor.Tell(new Add(7));
        ExpectTerminated(child);

        // While the journal stays down, each new incarnation fails recovery and is stopped again.
        AwaitCondition(() => RestartCount(supervisor) >= 2, message: "the supervisor kept restarting the failing counter");
        _journal.FailAppends(false);
        _journal.FailReads(false);
        ExpectMsg(new Recovered(5, 1), Dilated(TimeSpan.FromSeconds(5)));
        supervisor.Tell(new Add(1));
        ExpectMsg(new AddAcked(1, 2));
    }

    [Fact]
    public void A_recovery_failure_stops_the_actor()
    {
        _journal.FailReads(true);
        var counter = Counter("counter-1");
        Watch(counter);
        ExpectTerminated(counter);
    }

    [Fact]
    public async Task A_second_writer_for_the_same_id_is_stopped_by_the_journal_conflict()
    {
        var first = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        var second = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));

        first.Tell(new Add(1));
        ExpectMsg(new AddAcked(1, 1));
        Watch(second);
        second.Tell(new Add(100));
        ExpectTerminated(second);

        var events = await _inner.ReadAsync("counter-1", 1, long.MaxValue, long.MaxValue, default).ToListAsync();
        Assert.Equal([new Added(1)], events.Select(e => e.Payload));
    }

    [Fact]
    public void A_saved_snapshot_is_offered_to_the_next_incarnation()
    {
        var counter = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        counter.Tell(new AddMany([1, 2]));
        ExpectMsg<AddAcked>();
        ExpectMsg<AddAcked>();
        counter.Tell(TakeSnapshot.Instance);
        Assert.Equal(2, ExpectMsg<SaveSnapshotSucceeded>().Metadata.SequenceNr);
        counter.Tell(new Add(3));
        ExpectMsg(new AddAcked(3, 3));

        Watch(counter);
        Sys.Stop(counter);
        ExpectTerminated(counter);
        Counter("counter-1");
        var offered = (CounterSnapshot)ExpectMsg<SnapshotOffer>().Snapshot;
        Assert.Equal(3, offered.Total);
        Assert.Equal([1, 2], offered.History.AsEnumerable());
        ExpectMsg(new Recovered(6, 3));
    }

    [Fact]
    public void Deleting_messages_keeps_the_sequence_numbering_after_recovery()
    {
        var counter = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        counter.Tell(new AddMany([1, 2, 3]));
        ReceiveN(3);
        counter.Tell(new DeleteUpTo(3));
        ExpectMsg(new DeleteMessagesSucceeded(3));

        Watch(counter);
        Sys.Stop(counter);
        ExpectTerminated(counter);
        var next = Counter("counter-1");
        ExpectMsg(new Recovered(0, 3));
        next.Tell(new Add(4));
        ExpectMsg(new AddAcked(4, 4));
    }

    [Fact]
    public async Task Deleting_older_snapshots_keeps_the_latest_for_the_next_incarnation()
    {
        var counter = Counter("counter-1");
        ExpectMsg(new Recovered(0, 0));
        counter.Tell(new AddMany([1, 2]));
        ReceiveN(2);
        counter.Tell(TakeSnapshot.Instance);
        ExpectMsg<SaveSnapshotSucceeded>();
        counter.Tell(new Add(3));
        ExpectMsg(new AddAcked(3, 3));
        counter.Tell(TakeSnapshot.Instance);
        ExpectMsg<SaveSnapshotSucceeded>();

        counter.Tell(new DeleteSnapshotsUpTo(2));
        Assert.Equal(2, ExpectMsg<DeleteSnapshotsSucceeded>().Criteria.MaxSequenceNr);

        Assert.Null(await _snapshots.LoadAsync("counter-1", SnapshotSelectionCriteria.Latest with { MaxSequenceNr = 2 }, default));
        Watch(counter);
        Sys.Stop(counter);
        ExpectTerminated(counter);
        Counter("counter-1");
        Assert.Equal(3, ExpectMsg<SnapshotOffer>().Metadata.SequenceNr);
        ExpectMsg(new Recovered(6, 3));
    }

    private IActorRef Counter(string id) => Sys.ActorOf(Props.Create(() => new CounterActor(id, TestActor)));

    private int RestartCount(IActorRef supervisor)
    {
        var probe = CreateTestProbe();
        probe.Send(supervisor, BackoffSupervisor.GetRestartCount.Instance);
        return probe.ExpectMsg<BackoffSupervisor.RestartCount>().Count;
    }
}
