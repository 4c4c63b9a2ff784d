using System.Collections.Immutable;
using Nanokit.Actors;
using Nanokit.Actors.TestKit;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Persistence;
using Nanokit.Persistence.InMemory;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// An actor system with an in-memory journal and a simulated runtime, and helpers to load a project
/// from YAML text and follow the reconciler's events. The storage outlives a system, so a spec can stop
/// one system and recover the same journal in another (a crash and restart).
/// </summary>
public abstract class ReconcilerFixture : TestKit
{
    protected ReconcilerFixture(SimulatedRuntimeOptions? runtime = null)
    {
        Runtime = new SimulatedRuntime(runtime ?? new SimulatedRuntimeOptions());
        Register(Sys, Storage);
        Events = CreateTestProbe("events");
        Subscribe(Sys, Events);
    }

    protected InMemoryStorage Storage { get; } = new();

    protected SimulatedRuntime Runtime { get; }

    protected TestProbe Events { get; }

    protected static ReconcilerSettings Fast { get; } = ReconcilerSettings.Default with
    {
        ActionRetry = new RetryPolicy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), 0.2, 3),
        ChangeDebounce = TimeSpan.FromMilliseconds(20),
    };

    protected static void Register(ActorSystem system, InMemoryStorage storage)
    {
        var registry = ReconcilerEvents.CreateRegistry();
        Persistence.Persistence.Register(system, new PersistenceSettings(new InMemoryJournal(storage, registry), new InMemorySnapshotStore(storage, registry)));
    }

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
}
