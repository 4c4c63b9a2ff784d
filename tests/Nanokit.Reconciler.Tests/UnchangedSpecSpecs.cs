using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>An <c>up</c> whose desired state equals the accepted one starts no new generation.</summary>
public sealed class UnchangedSpecSpecs() : ReconcilerFixture(new SimulatedRuntimeOptions
{
    Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty.Add("broken", new SimulatedServiceBehavior(FailCreate: true)),
})
{
    private const string Spec = """
        services:
          db:
            command: [db]
            hooks: {prestart: [migrate]}
          api:
            command: [api, v1]
            depends_on: [db]
        """;

    [Fact]
    public void The_same_spec_after_convergence_keeps_the_generation_and_runs_it_again_without_changes()
    {
        var project = Project();
        var first = Apply(project, Load(Spec));
        AwaitRun(first.Generation);
        var creates = Runtime.Stats.Creates;

        var again = Apply(project, Load(Spec));
        var (completed, _) = AwaitRun(again.Generation);

        Assert.Equal(first.Generation, again.Generation);
        Assert.True(again.Unchanged);
        Assert.Equal(RunTrigger.Reapply, completed.Trigger);
        Assert.True(completed.Result.Succeeded);
        Assert.Equal(creates, Runtime.Stats.Creates);
        project.Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;
        Assert.Equal((1, 1), (status.Generation, status.ObservedGeneration));
    }

    [Fact]
    public void The_same_spec_repairs_a_replica_removed_by_hand_under_the_same_generation()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        Runtime.Remove(new ReplicaId(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "api", 1));

        var again = Apply(project, Load(Spec));
        var started = Events.FishForMessage<RunStarted>(m => m is RunStarted s && s.Generation == again.Generation);
        var (completed, _) = AwaitRun(again.Generation);

        Assert.Equal(1, again.Generation);
        Assert.Equal(ActionType.Create, started.Plan.Actions.Single(a => a.Service == "api").Action);
        Assert.True(completed.Result.Succeeded);
        Assert.Equal("api[1] db[1]", Replicas(Observe()));
    }

    [Fact]
    public void A_changed_spec_or_a_changed_scope_is_a_new_generation()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);

        var changed = Apply(project, Load(Spec.Replace("v1", "v2")));
        AwaitRun(changed.Generation);
        var scoped = Apply(project, Load(Spec.Replace("v1", "v2")), new PlanOptions { Services = ["db"] });
        AwaitRun(scoped.Generation);

        Assert.Equal((2, 3), (changed.Generation, scoped.Generation));
        Assert.False(changed.Unchanged || scoped.Unchanged);
    }

    [Fact]
    public void The_same_spec_after_a_failed_run_is_a_new_attempt_under_a_new_generation()
    {
        var project = Project();
        var spec = Load("services:\n  broken: {command: [x]}\n");
        var first = Apply(project, spec);
        Assert.False(AwaitRun(first.Generation).Completed.Result.Succeeded);

        var again = Apply(project, spec);

        Assert.Equal(first.Generation + 1, again.Generation);
        Assert.False(again.Unchanged);
        AwaitRun(again.Generation);
    }

    [Fact]
    public async Task The_same_spec_during_a_resumed_run_joins_it_and_does_not_cancel_its_hook()
    {
        var crashed = StartSystem("crashed");
        crashed.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", new CreatesNeverFinish(Runtime), Fast), "project-shop")
            .Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        var accepted = ExpectMsg<SpecAccepted>();
        await crashed.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        var held = new HeldPrestart(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", held, Fast), "project-shop");
        Assert.True(held.Entered.Wait(TimeSpan.FromSeconds(15)), "the resumed run never reached db's prestart hook");

        var again = Apply(project, Load(Spec));
        held.Release.Set();
        var (completed, _) = AwaitRun(accepted.Generation);

        Assert.Equal(accepted.Generation, again.Generation);
        Assert.True(again.Unchanged);
        Assert.Equal(RunTrigger.Resume, completed.Trigger);
        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.False(held.Cancelled, "the resumed run's prestart hook was cancelled");
        Assert.Equal("api[1] db[1]", Replicas(Observe()));
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    /// <summary>db's prestart hook waits until released, and notes whether its run was cancelled meanwhile.</summary>
    private sealed class HeldPrestart(SimulatedRuntime inner) : DelegatingProvider(inner)
    {
        private volatile bool cancelled;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public bool Cancelled => cancelled;

        public override async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
        {
            if (service.Name == "db" && kind == HookKind.Prestart && !Entered.IsSet)
            {
                Entered.Set();
                using var registration = cancellationToken.Register(() => cancelled = true);
                await Task.Run(() => Release.Wait(TimeSpan.FromSeconds(20)), CancellationToken.None);
            }

            return await base.RunHookAsync(project, service, kind, cancellationToken);
        }
    }
}
