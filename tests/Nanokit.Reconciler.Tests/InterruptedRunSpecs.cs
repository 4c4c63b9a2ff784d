using Akka.Actor;
using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>
/// A project entity stopped in the middle of a run (a shard handed off, a passivation) and started again on the same
/// journal: a heal leaves nothing in the journal, so the new incarnation cannot tell it was interrupted. It must plan
/// again from what it observes, and say what state it recovered, so no reader keeps the interrupted run's
/// "Reconciling".
/// </summary>
public sealed class InterruptedRunSpecs : ReconcilerFixture
{
    private const string Spec = "services:\n  db:\n    command: [x]\n  api:\n    command: [x]\n    depends_on: [db]\ndrift: {interval: 1h, heal: true}\n";

    private static readonly ReplicaId Api = new(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "api", 1);

    [Fact]
    public void A_heal_interrupted_by_the_entity_stopping_is_planned_again_from_the_observed_state_when_the_entity_comes_back()
    {
        var runtime = new CreatesHangWhenAsked(Runtime, createFirst: false);
        var first = Incarnation(runtime);
        var generation = Apply(first, Load(Spec)).Generation;
        Assert.True(AwaitRun(generation).Completed.Result.Succeeded);

        runtime.Hang = true;
        Runtime.Remove(Api);
        Events.FishForMessage<RunStarted>(s => s.Trigger == RunTrigger.Drift);
        StopAsAHandOffDoes(first);
        runtime.Hang = false;

        var second = Incarnation(runtime);

        var recovered = Events.FishForMessage<ProjectRecovered>(r => r.Project == "shop");
        Assert.Equal((generation, generation, false), (recovered.Status.Generation, recovered.Status.ObservedGeneration, recovered.Status.Running));
        var healed = Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift);
        Assert.True(healed.Result.Succeeded);
        Assert.Equal("api[1] db[1]", Replicas(Observe()));
        second.Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;
        Assert.False(status.Running);
        Assert.Equal("Converged", status.Conditions.Single(c => c.Type == "Ready").Reason);
    }

    [Fact]
    public void An_entity_stopped_after_its_heal_acted_but_before_the_heal_ended_recovers_as_converged_and_runs_nothing()
    {
        var runtime = new CreatesHangWhenAsked(Runtime, createFirst: true);
        var first = Incarnation(runtime);
        var generation = Apply(first, Load(Spec)).Generation;
        AwaitRun(generation);

        runtime.Hang = true;
        Runtime.Remove(Api);
        Events.FishForMessage<RunStarted>(s => s.Trigger == RunTrigger.Drift);
        AwaitCondition(() => Replicas(Observe()) == "api[1] db[1]");
        StopAsAHandOffDoes(first);
        var creates = Runtime.Stats.Creates;

        Incarnation(runtime);

        // The interrupted heal's "Reconciling" is superseded by what the journal says: converged, no run in flight.
        var recovered = Events.FishForMessage<ProjectRecovered>(r => r.Project == "shop");
        Assert.Equal((generation, false), (recovered.Status.ObservedGeneration, recovered.Status.Running));
        Assert.Equal("Converged", recovered.Status.Conditions.Single(c => c.Type == "Ready").Reason);
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(creates, Runtime.Stats.Creates);
    }

    private IActorRef Incarnation(IRuntimeProvider provider)
    {
        Sys.EventStream.Subscribe(Events.Ref, typeof(ProjectRecovered));
        return Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast with { DriftTimer = true, RetryFailedRuns = true }), "project-shop");
    }

    /// <summary>A shard hands off and passivates with a stop message: the entity stops wherever its run is.</summary>
    private void StopAsAHandOffDoes(IActorRef project)
    {
        Watch(project);
        project.Tell(PoisonPill.Instance);
        ExpectTerminated(project);
    }

    /// <summary>While <see cref="Hang"/> is set, creates never return (after creating, with <c>createFirst</c>).</summary>
    private sealed class CreatesHangWhenAsked(SimulatedRuntime inner, bool createFirst) : DelegatingProvider(inner)
    {
        public volatile bool Hang;

        public override async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
        {
            if (!Hang)
            {
                return await base.CreateAsync(replica, cancellationToken);
            }

            if (createFirst)
            {
                await base.CreateAsync(replica, cancellationToken);
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
