using Microsoft.Data.Sqlite;
using Nanokit.Actors;
using Nanokit.Actors.TestKit;
using Nanokit.Core.Plan;
using Nanokit.Persistence;
using Nanokit.Persistence.InMemory;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Sqlite;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// A project snapshots its state every few events and deletes what the snapshot covers. Every apply here
/// persists two events (the accepted generation and the recorded run), so with a snapshot every 3 events
/// the snapshots fall alternately after an accepted generation and after a run.
/// </summary>
/// <remarks>
/// Run alone, not beside the other classes: its thirty-odd runs would otherwise land in the process-wide
/// activity listener of the tracing spec and crowd the two cores the timing-sensitive specs share.
/// </remarks>
[Collection(nameof(ProjectSnapshotSpecs))]
public sealed class ProjectSnapshotSpecs : ReconcilerFixture, IAsyncLifetime
{
    private const string PersistenceId = "project|shop";
    private static readonly ReconcilerSettings Snapshotting = Fast with { SnapshotEvery = 3 };
    private readonly InMemoryJournal journal;
    private readonly InMemorySnapshotStore snapshots;
    private readonly List<IAsyncDisposable> opened = [];

    public ProjectSnapshotSpecs()
    {
        var registry = ReconcilerEvents.CreateRegistry();
        journal = new InMemoryJournal(Storage, registry);
        snapshots = new InMemorySnapshotStore(Storage, registry);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await journal.DisposeAsync();
        foreach (var other in opened)
        {
            await other.DisposeAsync();
        }
    }

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
            Assert.Equal([13L, 14L], SequenceNrs(journal));
            Assert.Equal([12L], SequenceNrs(snapshots));
        });
    }

    [Fact]
    public async Task A_project_recovered_from_its_snapshot_has_the_generation_spec_and_status_it_had()
    {
        var before = await RunInOtherSystemAsync("first", Snapshotting, applies: 5, system => Register(system, Storage), () =>
        {
            Assert.Equal([10L], SequenceNrs(journal));
            Assert.Equal([9L], SequenceNrs(snapshots));
        });

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 5);
    }

    [Fact]
    public async Task A_snapshot_whose_journal_deletion_failed_still_recovers_and_the_next_snapshot_deletes_the_rest()
    {
        var registry = ReconcilerEvents.CreateRegistry();
        var inner = new InMemoryJournal(Storage, registry);
        opened.Add(inner);
        var before = await RunInOtherSystemAsync(
            "first",
            Snapshotting,
            applies: 5,
            system => Persistence.Persistence.Register(system, new PersistenceSettings(new DeletesFail(inner), new InMemorySnapshotStore(Storage, registry))),
            () => Assert.Equal([9L], SequenceNrs(snapshots)));

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), SequenceNrs(journal));

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 5);
        AwaitAssert(() =>
        {
            Assert.Empty(SequenceNrs(journal));
            Assert.Equal([12L], SequenceNrs(snapshots));
        });
    }

    [Fact]
    public async Task A_failing_snapshot_store_leaves_the_journal_whole_and_the_project_recoverable()
    {
        var registry = ReconcilerEvents.CreateRegistry();
        var written = new InMemoryJournal(Storage, registry);
        opened.Add(written);
        var before = await RunInOtherSystemAsync(
            "first",
            Snapshotting,
            applies: 4,
            system => Persistence.Persistence.Register(system, new PersistenceSettings(written, new SavesFail())),
            () => { });
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), SequenceNrs(journal));
        Assert.Empty(SequenceNrs(snapshots));

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 4);
    }

    [Fact]
    public async Task A_journal_written_before_snapshots_recovers_as_before_and_is_compacted_at_its_next_event()
    {
        var before = await RunInOtherSystemAsync("first", Fast with { SnapshotEvery = 0 }, applies: 3, system => Register(system, Storage), () => { });
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), SequenceNrs(journal));
        Assert.Empty(SequenceNrs(snapshots));

        var project = Project(Snapshotting);

        Assert.Equal(before, Describe(Status(project)));
        AssertRecoveredSpecMatchesTheRuntime(project, expectedGeneration: 3);
        AwaitAssert(() =>
        {
            Assert.Equal([8L], SequenceNrs(journal));
            Assert.Equal([7L], SequenceNrs(snapshots));
        });
    }

    [Fact]
    public async Task A_project_compacted_in_SQLite_recovers_from_the_reopened_database()
    {
        var directory = Directory.CreateTempSubdirectory("nanokit-snapshots-").FullName;
        var options = new SqliteStoreOptions(Path.Combine(directory, "state.db"));
        var registry = ReconcilerEvents.CreateRegistry();
        var sqliteJournals = new List<SqliteJournal>();
        try
        {
            async Task<PersistenceSettings> OpenAsync()
            {
                var sqlite = await SqliteJournal.OpenAsync(options, registry, default);
                sqliteJournals.Add(sqlite);
                return new PersistenceSettings(sqlite, await SqliteSnapshotStore.OpenAsync(options, registry, default));
            }

            var written = await OpenAsync();
            var before = await RunInOtherSystemAsync("first", Snapshotting, applies: 5, system => Persistence.Persistence.Register(system, written), () =>
            {
                Assert.Equal([10L], SequenceNrs(written.Journal));
                Assert.Equal([9L], SequenceNrs(written.SnapshotStore));
            });

            var reopened = await OpenAsync();
            var restarted = ActorSystem.Create("restarted");
            try
            {
                Persistence.Persistence.Register(restarted, reopened);
                var project = Project(Snapshotting, restarted);

                Assert.Equal(before, Describe(Status(project)));
                project.Tell(new CheckDrift(Heal: false), TestActor);
                Assert.False(ExpectMsg<DriftReport>().Plan.HasChanges);
            }
            finally
            {
                await restarted.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            foreach (var sqlite in sqliteJournals)
            {
                await sqlite.DisposeAsync();
            }

            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
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

    private static List<long> SequenceNrs(IJournal journal) =>
        journal.ReadAsync(PersistenceId, 1, long.MaxValue, long.MaxValue, default).Select(e => e.SequenceNr).ToListAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The sequence numbers of every snapshot kept, newest first.</summary>
    private static List<long> SequenceNrs(ISnapshotStore store)
    {
        var found = new List<long>();
        while (store.LoadAsync(PersistenceId, SnapshotSelectionCriteria.Latest with { MaxSequenceNr = found.Count == 0 ? long.MaxValue : found[^1] - 1 }, default).GetAwaiter().GetResult() is { } snapshot)
        {
            found.Add(snapshot.Metadata.SequenceNr);
        }

        return found;
    }

    private ProjectStatus Status(IActorRef project)
    {
        project.Tell(GetProjectStatus.Instance, TestActor);
        return ExpectMsg<CurrentProjectStatus>().Status;
    }

    /// <summary>
    /// Applies specs with 1..<paramref name="applies"/> api replicas in a system of its own, waits until
    /// <paramref name="settled"/> holds (snapshots and deletions run after the run that triggered them), then
    /// stops the system (a crash of the process); returns the last status.
    /// </summary>
    private async Task<string> RunInOtherSystemAsync(string name, ReconcilerSettings settings, int applies, Action<ActorSystem> register, Action settled)
    {
        var system = ActorSystem.Create(name);
        try
        {
            register(system);
            var events = CreateTestProbe();
            Subscribe(system, events);
            var project = Project(settings, system);
            for (var replicas = 1; replicas <= applies; replicas++)
            {
                project.Tell(new ApplySpec(Load(Spec(replicas)), PlanOptions.Default), TestActor);
                var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);
                Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
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
    /// nothing, and applying that spec again is the next generation and plans no change.
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

        Assert.Equal(expectedGeneration + 1, accepted.Generation);
        Assert.False(started.Plan.HasChanges, started.Plan.ToString());
        Assert.True(completed.Result.Succeeded);
        Assert.Equal((creates, deletes), (Runtime.Stats.Creates, Runtime.Stats.Deletes));
    }

    /// <summary>A snapshot store that cannot save (a full disk, a lost database).</summary>
    private sealed class SavesFail : ISnapshotStore
    {
        public Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken) =>
            Task.FromException(new IOException("no space left on device"));

        public Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
            Task.FromResult<SelectedSnapshot?>(null);

        public Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A journal whose deletions fail, as if the process died between a snapshot and its deletion.</summary>
    private sealed class DeletesFail(IJournal inner) : IJournal
    {
        public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken) => inner.AppendAsync(events, cancellationToken);

        public IAsyncEnumerable<PersistentEvent> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken) =>
            inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

        public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken) => inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

        public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
            Task.FromException(new IOException("the journal is gone"));

        public Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken) =>
            inner.ReadByTagAsync(tag, afterOffset, max, cancellationToken);
    }
}

[CollectionDefinition(nameof(ProjectSnapshotSpecs), DisableParallelization = true)]
public sealed class ProjectSnapshotCollection;
