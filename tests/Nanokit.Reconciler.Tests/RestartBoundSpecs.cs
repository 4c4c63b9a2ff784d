using Akka.Actor;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Tests;

/// <summary>Compose's <c>restart: on-failure:N</c> as the reconciler's heal enforces it, counted in the project's journal.</summary>
public sealed class RestartBoundSpecs : ReconcilerFixture
{
    private const string Spec = """
        services:
          worker:
            command: [work, v1]
            restart: on-failure:2
        """;

    private static readonly ReplicaId Worker = new(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "worker", 1);

    /// <summary>With snapshots every event, recovery reads the counts from a snapshot, not from the events.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_replica_that_keeps_failing_is_brought_back_n_times_then_left_exited_even_after_a_restart_of_the_node(int snapshotEvery)
    {
        var settings = Fast with { SnapshotEvery = snapshotEvery };
        var first = StartSystem("first");
        var events = CreateTestProbe();
        Subscribe(first, events);
        var project = Project(settings, first);
        project.Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);

        Assert.Equal("exited (3); restart 1 of 2", HealAfterCrash(project, events));
        Assert.Equal("exited (3); restart 2 of 2", HealAfterCrash(project, events));
        Assert.True(Runtime.Crash(Worker, 3));
        Assert.Equal((ActionType.NoOp, "exited (3); restart on-failure:2 reached"), Check(project));
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        var again = Project(settings);
        Assert.Equal((ActionType.NoOp, "exited (3); restart on-failure:2 reached"), Check(again));
        var starts = Runtime.Stats.Starts;
        again.Tell(new CheckDrift(Heal: true), TestActor);
        Assert.False(ExpectMsg<DriftReport>().Plan.HasChanges);
        Assert.Equal(starts, Runtime.Stats.Starts);

        // A new definition recreates the replica, and its count starts from 0.
        AwaitRun(Apply(again, Load(Spec.Replace("v1", "v2"))).Generation);
        Assert.Equal("exited (3); restart 1 of 2", HealAfterCrash(again, Events));
    }

    [Fact]
    public void A_replica_that_exits_0_under_on_failure_is_not_brought_back()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        Assert.True(Runtime.Crash(Worker, 0));

        Assert.Equal((ActionType.NoOp, "exited (0); restart: on-failure"), Check(project));
        var starts = Runtime.Stats.Starts;
        project.Tell(new CheckDrift(Heal: true), TestActor);
        Assert.False(ExpectMsg<DriftReport>().Healing);
        Assert.Equal(starts, Runtime.Stats.Starts);
    }

    [Fact]
    public void Starting_a_replica_stopped_on_purpose_is_not_a_restart_of_its_policy()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        project.Tell(new StopServices(["worker"]), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation);
        project.Tell(new StartServices(["worker"]), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.Equal("exited (3); restart 1 of 2", HealAfterCrash(project, Events));
    }

    /// <summary>Crashes the worker with exit 3, heals, and returns the cause the heal's plan gave for starting it.</summary>
    private string HealAfterCrash(IActorRef project, Akka.TestKit.TestProbe events)
    {
        Assert.True(Runtime.Crash(Worker, 3));
        project.Tell(new CheckDrift(Heal: true), TestActor);
        var report = ExpectMsg<DriftReport>();
        Assert.True(report.Healing);
        var healed = events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift, TimeSpan.FromSeconds(15));
        Assert.True(healed.Result.Succeeded, string.Join("; ", healed.Result.Failures));
        var start = Assert.Single(report.Plan.Actions, a => a.Action == ActionType.Start);
        return start.Cause;
    }

    private (ActionType, string) Check(IActorRef project)
    {
        project.Tell(new CheckDrift(Heal: false), TestActor);
        var action = Assert.Single(ExpectMsg<DriftReport>().Plan.Actions, a => a.Service == "worker");
        return (action.Action, action.Cause);
    }
}
