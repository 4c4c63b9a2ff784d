using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit.Xunit2;

namespace Nanokit.Persistence.Journal.Tests;

/// <summary>Akka.Persistence's snapshot-store contract (the ground of the TCK's SnapshotStoreSpec), on each database.</summary>
public abstract class SnapshotStoreSpec(Config config) : TestKit(config)
{
    private const string Pid = "s-1";

    protected override void Dispose(bool disposing)
    {
        var config = Sys.Settings.Config;
        base.Dispose(disposing);
        if (disposing)
        {
            Stores.DropSchemaOf(config);
        }
    }

    private IActorRef Store => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    [Fact]
    public void Loads_nothing_for_an_id_without_snapshots()
    {
        Store.Tell(new LoadSnapshot("none", SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        Assert.Null(ExpectMsg<LoadSnapshotResult>().Snapshot);
    }

    [Fact]
    public void Loads_the_latest_snapshot_within_the_criteria()
    {
        var saved = SaveSnapshots(5);
        Store.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        var latest = ExpectMsg<LoadSnapshotResult>().Snapshot;
        Assert.Equal(5, latest.Metadata.SequenceNr);
        Assert.Equal("snapshot-5", latest.Snapshot);
        Assert.Equal(saved[4].Timestamp, latest.Metadata.Timestamp);

        Store.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(3), long.MaxValue), TestActor);
        Assert.Equal(3, ExpectMsg<LoadSnapshotResult>().Snapshot.Metadata.SequenceNr);

        Store.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(long.MaxValue, saved[1].Timestamp), long.MaxValue), TestActor);
        Assert.Equal(2, ExpectMsg<LoadSnapshotResult>().Snapshot.Metadata.SequenceNr);
    }

    [Fact]
    public void Deletes_one_snapshot_then_loads_the_one_before()
    {
        var saved = SaveSnapshots(3);
        Store.Tell(new DeleteSnapshot(saved[2]), TestActor);
        ExpectMsg<DeleteSnapshotSuccess>();
        Store.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        Assert.Equal(2, ExpectMsg<LoadSnapshotResult>().Snapshot.Metadata.SequenceNr);
    }

    [Fact]
    public void Deletes_the_snapshots_matching_the_criteria()
    {
        SaveSnapshots(4);
        Store.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(3)), TestActor);
        ExpectMsg<DeleteSnapshotsSuccess>();
        Store.Tell(new LoadSnapshot(Pid, new SnapshotSelectionCriteria(3), long.MaxValue), TestActor);
        Assert.Null(ExpectMsg<LoadSnapshotResult>().Snapshot);
        Store.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        Assert.Equal(4, ExpectMsg<LoadSnapshotResult>().Snapshot.Metadata.SequenceNr);
    }

    [Fact]
    public void Replaces_a_snapshot_saved_again_at_the_same_sequence_number()
    {
        SaveSnapshots(1);
        Store.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 1, DateTime.UtcNow), "again"), TestActor);
        ExpectMsg<SaveSnapshotSuccess>();
        Store.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        Assert.Equal("again", ExpectMsg<LoadSnapshotResult>().Snapshot.Snapshot);
    }

    private List<SnapshotMetadata> SaveSnapshots(int count)
    {
        var saved = new List<SnapshotMetadata>();
        var start = DateTime.UtcNow;
        for (var i = 1; i <= count; i++)
        {
            var metadata = new SnapshotMetadata(Pid, i, start.AddSeconds(i));
            Store.Tell(new SaveSnapshot(metadata, $"snapshot-{i}"), TestActor);
            ExpectMsg<SaveSnapshotSuccess>();
            saved.Add(metadata);
        }

        return saved;
    }
}
