namespace Nanokit.Reconciler.Tests;

public sealed class ServiceJournalSpecs : ReconcilerFixture
{
    /// <summary>Each run of a service persists one event (how it ended); enough runs for two rounds of trimming.</summary>
    private const int Runs = 3 * ServiceActor.KeptEvents;

    [Fact]
    public void A_service_journal_keeps_only_its_latest_events_without_gaps()
    {
        var project = Project();
        for (var n = 0; n < Runs; n++)
        {
            // Each apply changes the command, so the service records the end of a run that acted.
            AwaitRun(Apply(project, Load($"services:\n  web: {{command: [v{n}]}}\n")).Generation);
        }

        List<long> kept = [];
        AwaitAssert(() =>
        {
            kept = KeptEvents("service|shop|web");
            Assert.True(kept.Count <= 2 * ServiceActor.KeptEvents, $"{kept.Count} events kept");
        });

        Assert.InRange(kept.Count, ServiceActor.KeptEvents, 2 * ServiceActor.KeptEvents);
        Assert.Equal((long)Runs, kept[^1]);
        Assert.Equal(Enumerable.Range((int)kept[0], kept.Count).Select(n => (long)n), kept);
    }

    [Fact]
    public void A_service_recovers_and_runs_without_reading_the_snapshot_store()
    {
        var project = Project();
        project.Tell(GetProjectStatus.Instance, TestActor);
        ExpectMsg<CurrentProjectStatus>();

        // The project has recovered (its snapshot load is behind it); from now on any snapshot read fails.
        Query($"DROP TABLE {SnapshotTable}");
        var (completed, _) = AwaitRun(Apply(project, Load("services:\n  web: {command: [web]}\n  db: {command: [db]}\n")).Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures.Select(f => $"{f.Service}: {f.Reason}")));
        AwaitAssert(() => Assert.Equal([1L], KeptEvents("service|shop|web")));
    }
}
