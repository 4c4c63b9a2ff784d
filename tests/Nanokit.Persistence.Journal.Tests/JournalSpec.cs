using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Nanokit.Persistence.Journal.Tests;

/// <summary>
/// Akka.Persistence's journal contract (the ground Akka.Persistence.TCK's JournalSpec covers; the TCK package is not
/// served here): ordering, replay ranges and max, highest sequence number after deletes, atomic writes, rejected
/// versus failed writes, and the group commit across actors. Each database runs every spec.
/// </summary>
public abstract class JournalSpec(Config config) : TestKit(config)
{
    private const string Pid = "p-1";

    protected override void Dispose(bool disposing)
    {
        var config = Sys.Settings.Config;
        base.Dispose(disposing);
        if (disposing)
        {
            Stores.DropSchemaOf(config);
        }
    }

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    [Fact]
    public void Replays_every_event_in_order_then_reports_the_highest_sequence_number()
    {
        var writer = WriteEvents(Pid, 1, 5);
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        ExpectReplayed(writer, Pid, 1, 5);
        Assert.Equal(5, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Replays_only_the_asked_range()
    {
        var writer = WriteEvents(Pid, 1, 5);
        Journal.Tell(new ReplayMessages(2, 4, long.MaxValue, Pid, writer.Ref));
        ExpectReplayed(writer, Pid, 2, 4);
        Assert.Equal(5, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Replays_at_most_max_events()
    {
        var writer = WriteEvents(Pid, 1, 5);
        Journal.Tell(new ReplayMessages(1, long.MaxValue, 2, Pid, writer.Ref));
        ExpectReplayed(writer, Pid, 1, 2);
        Assert.Equal(5, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Replays_nothing_past_the_highest_or_for_an_unknown_id()
    {
        var writer = WriteEvents(Pid, 1, 3);
        Journal.Tell(new ReplayMessages(4, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        Assert.Equal(3, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "unknown", writer.Ref));
        Assert.Equal(0, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_its_events_are_deleted()
    {
        var writer = WriteEvents(Pid, 1, 5);
        Journal.Tell(new DeleteMessagesTo(Pid, 3, writer.Ref));
        Assert.Equal(3, writer.ExpectMsg<DeleteMessagesSuccess>().ToSequenceNr);
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        ExpectReplayed(writer, Pid, 4, 5);
        Assert.Equal(5, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);

        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, writer.Ref));
        writer.ExpectMsg<DeleteMessagesSuccess>();
        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        Assert.Equal(5, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Writes_an_atomic_write_of_several_events_whole()
    {
        var writer = CreateTestProbe();
        var events = Enumerable.Range(1, 3).Select(i => Event(Pid, i, writer.Ref)).ToImmutableList<IPersistentRepresentation>();
        Journal.Tell(new WriteMessages([new AtomicWrite(events)], writer.Ref, 1));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal(i, writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        }

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        ExpectReplayed(writer, Pid, 1, 3);
        writer.ExpectMsg<RecoverySuccess>();
    }

    [Fact]
    public void Rejects_only_the_atomic_write_whose_payload_cannot_be_serialized()
    {
        var writer = CreateTestProbe();
        var bad = new Persistent(new Unserializable("no"), 2, Pid, string.Empty, false, writer.Ref, "w");
        Journal.Tell(new WriteMessages(
            [new AtomicWrite(Event(Pid, 1, writer.Ref)), new AtomicWrite(bad), new AtomicWrite(Event(Pid, 3, writer.Ref))], writer.Ref, 1));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(1, writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        Assert.Equal(2, writer.ExpectMsg<WriteMessageRejected>().Persistent.SequenceNr);
        Assert.Equal(3, writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, writer.Ref));
        Assert.Equal(1, writer.ExpectMsg<ReplayedMessage>().Persistent.SequenceNr);
        Assert.Equal(3, writer.ExpectMsg<ReplayedMessage>().Persistent.SequenceNr);
        Assert.Equal(3, writer.ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Fails_a_duplicate_write_without_failing_other_actors_in_the_same_group_commit()
    {
        WriteEvents(Pid, 1, 1);
        var duplicate = CreateTestProbe();
        var others = Enumerable.Range(0, 20).Select(_ => CreateTestProbe()).ToList();
        Journal.Tell(new WriteMessages([new AtomicWrite(Event(Pid, 1, duplicate.Ref))], duplicate.Ref, 1));
        for (var i = 0; i < others.Count; i++)
        {
            Journal.Tell(new WriteMessages([new AtomicWrite(Event($"other-{i}", 1, others[i].Ref))], others[i].Ref, 1));
        }

        duplicate.ExpectMsg<WriteMessagesFailed>();
        Assert.Equal(1, duplicate.ExpectMsg<WriteMessageFailure>().Persistent.SequenceNr);
        foreach (var other in others)
        {
            other.ExpectMsg<WriteMessagesSuccessful>();
            other.ExpectMsg<WriteMessageSuccess>();
        }
    }

    [Fact]
    public void Commits_many_actors_writing_at_once_and_replays_each_in_order()
    {
        var writers = Enumerable.Range(0, 200).Select(_ => CreateTestProbe()).ToList();
        for (var round = 1; round <= 5; round++)
        {
            for (var i = 0; i < writers.Count; i++)
            {
                Journal.Tell(new WriteMessages([new AtomicWrite(Event($"many-{i}", round, writers[i].Ref))], writers[i].Ref, 1));
            }
        }

        foreach (var writer in writers)
        {
            for (var round = 1; round <= 5; round++)
            {
                writer.ExpectMsg<WriteMessagesSuccessful>();
                Assert.Equal(round, writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
            }
        }

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, "many-7", writers[7].Ref));
        ExpectReplayed(writers[7], "many-7", 1, 5);
        Assert.Equal(5, writers[7].ExpectMsg<RecoverySuccess>().HighestSequenceNr);
    }

    [Fact]
    public void Replays_many_actors_recovering_at_once_each_its_own_range_and_max()
    {
        // On PostgreSQL these replays share coalesced queries; each must still get exactly its own events.
        var ids = Enumerable.Range(0, 100).Select(i => $"recovering-{i}").ToList();
        foreach (var (pid, i) in ids.Select((p, i) => (p, i)))
        {
            WriteEvents(pid, 1, 1 + i % 7);
        }

        var readers = ids.Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            // Every third asks from 2, every fifth at most 2 events: ranges and limits differ within one batch.
            Journal.Tell(new ReplayMessages(i % 3 == 0 ? 2 : 1, long.MaxValue, i % 5 == 0 ? 2 : long.MaxValue, ids[i], readers[i].Ref));
        }

        for (var i = 0; i < ids.Count; i++)
        {
            var highest = 1 + i % 7;
            var from = i % 3 == 0 ? 2 : 1;
            var to = i % 5 == 0 ? Math.Min(highest, from + 1) : highest;
            if (from <= to)
            {
                ExpectReplayed(readers[i], ids[i], from, to);
            }

            Assert.Equal(highest, readers[i].ExpectMsg<RecoverySuccess>().HighestSequenceNr);
        }
    }

    private static Persistent Event(string pid, long seq, IActorRef sender) =>
        new($"event-{seq}", seq, pid, string.Empty, false, sender, "writer-1");

    private TestProbe WriteEvents(string pid, long from, long to)
    {
        var writer = CreateTestProbe();
        var writes = Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => new AtomicWrite(Event(pid, i, writer.Ref))).ToList();
        Journal.Tell(new WriteMessages(writes, writer.Ref, 1));
        writer.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = from; i <= to; i++)
        {
            Assert.Equal(i, writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        }

        return writer;
    }

    private static void ExpectReplayed(TestProbe probe, string pid, long from, long to)
    {
        for (var i = from; i <= to; i++)
        {
            var replayed = probe.ExpectMsg<ReplayedMessage>().Persistent;
            Assert.Equal(pid, replayed.PersistenceId);
            Assert.Equal(i, replayed.SequenceNr);
            Assert.Equal($"event-{i}", replayed.Payload);
            Assert.Equal("writer-1", replayed.WriterGuid);
        }
    }
}
