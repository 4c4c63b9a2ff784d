using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Microsoft.Data.Sqlite;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// An actor system whose journal is a real SQLite file of its own (through the engine the CLI runs: Nanokit's plugin
/// by default, Akka.Persistence.Sql with NANOKIT_STORE_ENGINE=akka-sql) and a simulated runtime, and helpers to load
/// a project from YAML text and follow the reconciler's events. The file outlives a system, so a spec can stop one
/// system (<see cref="StartSystem"/>) and recover the same journal in
/// another (a crash and restart).
/// </summary>
public abstract class ReconcilerFixture : TestKit
{
    /// <summary>Expectations wait this long by default: the first write of a system also creates the tables.</summary>
    private const string TestTimeouts = "akka.test.single-expect-default = 15s";

    protected ReconcilerFixture(SimulatedRuntimeOptions? runtime = null)
        : this(NewStatePath(), runtime)
    {
    }

    private ReconcilerFixture(string statePath, SimulatedRuntimeOptions? runtime)
        : base(SystemConfig(statePath))
    {
        StatePath = statePath;
        Runtime = new SimulatedRuntime(runtime ?? new SimulatedRuntimeOptions());
        Events = CreateTestProbe("events");
        Subscribe(Sys, Events);
    }

    /// <summary>This spec's SQLite journal and snapshot store.</summary>
    protected string StatePath { get; }

    protected SimulatedRuntime Runtime { get; }

    protected TestProbe Events { get; }

    protected static ReconcilerSettings Fast { get; } = ReconcilerSettings.Default with
    {
        ActionRetry = ReconcilerSettings.Default.ActionRetry with { Base = TimeSpan.FromMilliseconds(10), Max = TimeSpan.FromMilliseconds(50) },
        ChangeDebounce = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>Another actor system on this spec's journal (a node before a crash, or after a restart).</summary>
    protected ActorSystem StartSystem(string name, Config? extra = null) =>
        ActorSystem.Create(name, extra is null ? SystemConfig(StatePath) : extra.WithFallback(SystemConfig(StatePath)));

    protected static void Subscribe(ActorSystem system, TestProbe probe)
    {
        system.EventStream.Subscribe(probe.Ref, typeof(RunStarted));
        system.EventStream.Subscribe(probe.Ref, typeof(RunCompleted));
        system.EventStream.Subscribe(probe.Ref, typeof(ServiceProgress));
    }

    protected static ProjectSpec Load(string yaml) => ProjectLoader.Parse(
        [("nanokit.yml", yaml)],
        new ProjectLoadOptions([], "/tmp/nanokit-reconciler-spec", null, [], ImmutableDictionary<string, string>.Empty, "shop"));

    protected IActorRef Project(ReconcilerSettings? settings = null, ActorSystem? system = null) =>
        (system ?? Sys).ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", Runtime, settings ?? Fast), "project-shop");

    protected SpecAccepted Apply(IActorRef project, ProjectSpec spec, PlanOptions? options = null)
    {
        project.Tell(new ApplySpec(spec, options ?? PlanOptions.Default), TestActor);
        return ExpectMsg<SpecAccepted>();
    }

    /// <summary>Every service-progress event until the run of <paramref name="generation"/> completes, and its result.</summary>
    protected (RunCompleted Completed, List<ServiceProgress> Progress) AwaitRun(long generation, TestProbe? probe = null, TimeSpan? timeout = null)
    {
        probe ??= Events;
        var progress = new List<ServiceProgress>();
        var completed = probe.FishForMessage<object>(
            m =>
            {
                if (m is ServiceProgress p && p.Generation == generation)
                {
                    progress.Add(p);
                }

                return m is RunCompleted c && c.Generation == generation;
            },
            timeout ?? TimeSpan.FromSeconds(15));
        return ((RunCompleted)completed, progress);
    }

    protected ObservedState Observe() =>
        Runtime.ObserveAsync(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), CancellationToken.None).GetAwaiter().GetResult();

    protected static string Replicas(ObservedState state) =>
        string.Join(" ", state.Replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica).Select(r => $"{r.Service}[{r.Replica}]"));

    /// <summary>The journal's table in the state file, for the engine the specs run with (NANOKIT_STORE_ENGINE).</summary>
    protected string JournalTable => NodeConfig.EngineFor(new StateStore.Sqlite(StatePath)) == StoreEngine.GroupCommit ? "nanokit_journal" : "journal";

    /// <summary>The snapshot store's table in the state file, as <see cref="JournalTable"/>.</summary>
    protected string SnapshotTable => NodeConfig.EngineFor(new StateStore.Sqlite(StatePath)) == StoreEngine.GroupCommit ? "nanokit_snapshot" : "snapshot";

    /// <summary>The sequence numbers of the events a persistence id still has in the journal, oldest first.</summary>
    protected List<long> KeptEvents(string persistenceId) => Query(JournalTable == "journal"
        ? $"SELECT sequence_number FROM journal WHERE persistence_id = '{persistenceId}' AND deleted = 0 ORDER BY sequence_number"
        : $"SELECT sequence_nr FROM nanokit_journal WHERE persistence_id = '{persistenceId}' ORDER BY sequence_nr");

    /// <summary>The sequence numbers of a persistence id's snapshots, newest first.</summary>
    protected List<long> KeptSnapshots(string persistenceId) => Query(SnapshotTable == "snapshot"
        ? $"SELECT sequence_number FROM snapshot WHERE persistence_id = '{persistenceId}' ORDER BY sequence_number DESC"
        : $"SELECT sequence_nr FROM nanokit_snapshot WHERE persistence_id = '{persistenceId}' ORDER BY sequence_nr DESC");

    /// <summary>A statement on this spec's state file, beside the journal (to read what it holds, or to make it fail).</summary>
    protected List<long> Query(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StatePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<long>();
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }

        return values;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(StatePath)!, recursive: true);
        }
    }

    private static string NewStatePath() => Path.Combine(Directory.CreateTempSubdirectory("nanokit-reconciler-").FullName, "state.db");

    private static Config SystemConfig(string statePath) =>
        ConfigurationFactory.ParseString(TestTimeouts).WithFallback(NodeConfig.For(new StateStore.Sqlite(statePath)));
}
