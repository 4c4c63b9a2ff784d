using System.Collections.Immutable;
using Nanokit.Actors;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence.Tests.Support;

public sealed record Add(int Amount);

public sealed record AddMany(ImmutableArray<int> Amounts);

/// <summary>Adds after an await, to show async handlers keep commands in order.</summary>
public sealed record AddLater(int Amount);

public sealed record Added(int Amount);

public sealed record AddAcked(int Amount, long SequenceNr);

public sealed record GetState
{
    public static GetState Instance { get; } = new();
}

public sealed record CurrentState(int Total, long LastSequenceNr, ImmutableArray<int> History);

public sealed record TakeSnapshot
{
    public static TakeSnapshot Instance { get; } = new();
}

public sealed record DeleteUpTo(long SequenceNr);

public sealed record DeleteSnapshotsUpTo(long SequenceNr);

public sealed record CounterSnapshot(int Total, ImmutableArray<int> History);

public sealed record Recovered(int Total, long LastSequenceNr);

/// <summary>A persistent counter that reports its recovery and persistence steps to a probe.</summary>
public sealed class CounterActor : PersistentActor
{
    public static readonly EventRegistry Registry = TestRegistry.Current
        .Register<Added>("counter.added")
        .Register<CounterSnapshot>("counter.snapshot");

    private readonly string _id;
    private int _total;
    private ImmutableArray<int> _history = [];

    public CounterActor(string id, IActorRef probe, PersistenceSettings? settings = null)
        : base(settings)
    {
        _id = id;
        Recover<SnapshotOffer>(offer =>
        {
            var snapshot = (CounterSnapshot)offer.Snapshot;
            (_total, _history) = (snapshot.Total, snapshot.History);
            probe.Tell(offer, Self);
        });
        Recover<Added>(Apply);
        Recover<RecoveryCompleted>(_ => probe.Tell(new Recovered(_total, LastSequenceNr), Self));

        Command<Add>(add => Persist(new Added(add.Amount), added =>
        {
            Apply(added);
            Sender.Tell(new AddAcked(added.Amount, LastSequenceNr), Self);
        }));
        Command<AddMany>(many => PersistAll(many.Amounts.Select(a => new Added(a)), added =>
        {
            Apply(added);
            Sender.Tell(new AddAcked(added.Amount, LastSequenceNr), Self);
        }));
        CommandAsync<AddLater>(async later =>
        {
            await Task.Yield();
            var replyTo = Sender;
            Persist(new Added(later.Amount), added =>
            {
                Apply(added);
                replyTo.Tell(new AddAcked(added.Amount, LastSequenceNr), Self);
            });
        });
        Command<GetState>(_ => Sender.Tell(new CurrentState(_total, LastSequenceNr, _history), Self));
        Command<TakeSnapshot>(_ => SaveSnapshot(new CounterSnapshot(_total, _history)));
        Command<SaveSnapshotSucceeded>(saved => probe.Tell(saved, Self));
        Command<DeleteUpTo>(delete => DeleteMessages(delete.SequenceNr));
        Command<DeleteMessagesSucceeded>(deleted => probe.Tell(deleted, Self));
        Command<DeleteSnapshotsUpTo>(delete => DeleteSnapshots(SnapshotSelectionCriteria.Latest with { MaxSequenceNr = delete.SequenceNr }));
        Command<DeleteSnapshotsSucceeded>(deleted => probe.Tell(deleted, Self));
    }

    public override string PersistenceId => _id;

    private void Apply(Added added)
    {
        _total += added.Amount;
        _history = _history.Add(added.Amount);
    }
}
