using Nanokit.Persistence;
using Nanokit.Persistence.InMemory;

namespace Nanokit.Reconciler.Tests;

public sealed class ServiceJournalSpecs : ReconcilerFixture
{
    [Fact]
    public void A_service_journal_keeps_only_its_latest_events_without_gaps()
    {
        var project = Project();
        for (var n = 0; n < 50; n++)
        {
            // Each apply changes the command, so the service records a start and an end event per run.
            AwaitRun(Apply(project, Load($"services:\n  web: {{command: [v{n}]}}\n")).Generation);
        }

        var journal = new InMemoryJournal(Storage, ReconcilerEvents.CreateRegistry());
        var kept = AwaitAssertCount(journal);

        Assert.InRange(kept.Count, ServiceActor.KeptEvents, 2 * ServiceActor.KeptEvents);
        Assert.Equal(100L, kept[^1]);
        Assert.Equal(Enumerable.Range((int)kept[0], kept.Count).Select(n => (long)n), kept);
    }

    private List<long> AwaitAssertCount(InMemoryJournal journal)
    {
        List<long> sequenceNrs = [];
        AwaitAssert(() =>
        {
            sequenceNrs = journal.ReadAsync("service|shop|web", 1, long.MaxValue, long.MaxValue, default)
                .Select(e => e.SequenceNr).ToListAsync().AsTask().GetAwaiter().GetResult();
            Assert.True(sequenceNrs.Count <= 2 * ServiceActor.KeptEvents, $"{sequenceNrs.Count} events kept");
        });
        return sequenceNrs;
    }
}
