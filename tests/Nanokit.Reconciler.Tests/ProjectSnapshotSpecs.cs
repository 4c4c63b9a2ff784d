using Akka.Actor;
using Nanokit.Core.Plan;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// A project snapshots its state every few events and deletes what the snapshot covers. Every apply here
/// persists two events (the accepted generation and the recorded run), so with a snapshot every 3 events
/// the snapshots fall alternately after an accepted generation and after a run. The store is the spec's SQLite
/// file; a failing store is made by a trigger on its table that aborts the statement, as a full disk would.
/// </summary>
/// <remarks>
/// Run alone, not beside the other classes: its thirty-odd runs would otherwise land in the process-wide
/// activity listener of the tracing spec and crowd the two cores the timing-sensitive specs share.
/// </remarks>
[Collection(nameof(ProjectSnapshotSpecs))]
public sealed class ProjectSnapshotSpecs : ReconcilerFixture
{
    private static readonly ReconcilerSettings Snapshotting = Fast with { SnapshotEvery = 3 };

    [Fact]
    public void After_more_applies_than_the_interval_the_journal_holds_only_the_events_after_the_latest_snapshot()
    {
        var project = Project(Snapshotting);

        for (var replicas = 1; replicas <= 7; replicas++)
        {
            AwaitRun(Apply(project, Load(Spec(replicas))).Generation);
        }

        // 14 events: snapshots at 3, 6, 9 and 12, each replacing the one before.
        AwaitAssert(() =>
        {
            Assert.Equal([13L, 14L], JournalSequenceNrs());
            Assert.Equal([12L], SnapshotSequenceNrs());
        });
    }

    [Fact]
    public async Task A_project_recovered_from_its_snapshot_has_the_generation_spec_and_status_it_had()
    {
        var before = await RunInOtherSystemAsync(Snapshotting, applies: 5, afterFirstApply: () => { }, () =>
        {
            Assert.Equal([10L], JournalSequenceNrs());
            Assert.Equal([9L], SnapshotSequenceNrs());
        });

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 5);
    }

    [Fact]
    public async Task A_snapshot_whose_journal_deletion_failed_still_recovers_and_the_next_snapshot_deletes_the_rest()
    {
        var before = await RunInOtherSystemAsync(
            Snapshotting,
            applies: 5,
            afterFirstApply: () => Query($"""
                CREATE TRIGGER deletes_fail_update BEFORE UPDATE ON {JournalTable} BEGIN SELECT RAISE(ABORT, 'the journal is gone'); END;
                CREATE TRIGGER deletes_fail_delete BEFORE DELETE ON {JournalTable} BEGIN SELECT RAISE(ABORT, 'the journal is gone'); END;
                """),
            () => Assert.Equal([9L], SnapshotSequenceNrs()));

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), JournalSequenceNrs());
        Query("DROP TRIGGER deletes_fail_update; DROP TRIGGER deletes_fail_delete;");

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 5);

        // The unchanged apply recorded one run (event 11); the next generation's acceptance (12) is due for a snapshot.
        AwaitRun(Apply(project, Load(Spec(6))).Generation);
        AwaitAssert(() =>
        {
            Assert.Equal([13L], JournalSequenceNrs());
            Assert.Equal([12L], SnapshotSequenceNrs());
        });
    }

    [Fact]
    public async Task A_failing_snapshot_store_leaves_the_journal_whole_and_the_project_recoverable()
    {
        var before = await RunInOtherSystemAsync(
            Snapshotting,
            applies: 4,
            afterFirstApply: () => Query($"""
                CREATE TRIGGER saves_fail BEFORE INSERT ON {SnapshotTable} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
                CREATE TRIGGER updates_fail BEFORE UPDATE ON {SnapshotTable} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
                """),
            () => { });
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), JournalSequenceNrs());
        Assert.Empty(SnapshotSequenceNrs());
        Query("DROP TRIGGER saves_fail; DROP TRIGGER updates_fail;");

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 4);
    }

    [Fact]
    public async Task A_journal_written_before_snapshots_recovers_as_before_and_is_compacted_at_its_next_event()
    {
        var before = await RunInOtherSystemAsync(Fast with { SnapshotEvery = 0 }, applies: 3, afterFirstApply: () => { }, () => { });
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), JournalSequenceNrs());
        Assert.Empty(SnapshotSequenceNrs());

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 3);

        // The unchanged apply records one run (event 7), and the snapshot it makes covers everything.
        AwaitAssert(() =>
        {
            Assert.Empty(JournalSequenceNrs());
            Assert.Equal([7L], SnapshotSequenceNrs());
        });
    }

    private static string Spec(int replicas) => $$"""
        services:
          db:
            command: [db]
          api:
            command: [api]
            deploy: {replicas: {{replicas}}}
            depends_on: [db]
        """;

    /// <summary>The status in a form that survives a restart: everything but the time the drift condition was read.</summary>
    private static string Describe(ProjectStatus status) =>
        $"generation {status.Generation}, observed {status.ObservedGeneration}, running {status.Running}, failures [{string.Join("; ", status.Failures)}]\n"
        + string.Join("\n", status.Conditions.Select(c => $"{c.Type} {c.Status} {c.Reason} '{c.Message}' {(c.Type == "Drifted" ? "" : c.Since.ToString("O"))}"));

    private List<long> JournalSequenceNrs() =>
        KeptEvents("project|shop");

    /// <summary>The sequence numbers of every snapshot kept, newest first.</summary>
    private List<long> SnapshotSequenceNrs() =>
        KeptSnapshots("project|shop");

    private ProjectStatus Status(IActorRef project)
    {
        project.Tell(GetProjectStatus.Instance, TestActor);
        return ExpectMsg<CurrentProjectStatus>().Status;
    }

    /// <summary>
    /// Applies specs with 1..<paramref name="applies"/> api replicas in a system of its own (calling
    /// <paramref name="afterFirstApply"/> once the first run is recorded), waits until <paramref name="settled"/> holds
    /// (snapshots and deletions run after the run that triggered them), then stops the system (a crash of the
    /// process); returns the last status.
    /// </summary>
    private async Task<string> RunInOtherSystemAsync(ReconcilerSettings settings, int applies, Action afterFirstApply, Action settled)
    {
        var system = StartSystem("first");
        try
        {
            var events = CreateTestProbe();
            Subscribe(system, events);
            var project = Project(settings, system);
            for (var replicas = 1; replicas <= applies; replicas++)
            {
                project.Tell(new ApplySpec(Load(Spec(replicas)), PlanOptions.Default), TestActor);
                var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);
                Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
                if (replicas == 1)
                {
                    AwaitAssert(() => Assert.Equal([2L], JournalSequenceNrs().TakeLast(1)));
                    afterFirstApply();
                }
            }

            var status = Status(project);
            Assert.Equal((applies, applies), (status.Generation, status.ObservedGeneration));
            AwaitAssert(settled);
            return Describe(status);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// The recovered desired spec is the last one applied: a drift check (recovered spec × runtime) finds
    /// nothing, and applying that spec again is recognised as unchanged (no new generation) and plans no change.
    /// </summary>
    private void AssertRecoveredSpecMatchesTheRuntime(IActorRef project, long expectedGeneration)
    {
        project.Tell(new CheckDrift(Heal: false), TestActor);
        var drift = ExpectMsg<DriftReport>();
        Assert.False(drift.Plan.HasChanges, drift.Plan.ToString());
        var (creates, deletes) = (Runtime.Stats.Creates, Runtime.Stats.Deletes);

        var accepted = Apply(project, Load(Spec((int)expectedGeneration)));
        var started = Events.FishForMessage<RunStarted>(s => s.Generation == accepted.Generation);
        var (completed, _) = AwaitRun(accepted.Generation);

        Assert.Equal((expectedGeneration, true), (accepted.Generation, accepted.Unchanged));
        Assert.False(started.Plan.HasChanges, started.Plan.ToString());
        Assert.True(completed.Result.Succeeded);
        Assert.Equal((creates, deletes), (Runtime.Stats.Creates, Runtime.Stats.Deletes));
    }
}

[CollectionDefinition(nameof(ProjectSnapshotSpecs), DisableParallelization = true)]
public sealed class ProjectSnapshotCollection;
