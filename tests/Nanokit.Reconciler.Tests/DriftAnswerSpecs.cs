using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class DriftAnswerSpecs : ReconcilerFixture
{
    [Fact]
    public void A_check_asked_for_during_a_failing_heal_gets_its_own_report_not_the_heals_failure()
    {
        var provider = new FailingStart(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));
        AwaitRun(Apply(project, Load("services:\n  web: {command: [x]}\n")).Generation);
        var web = new ReplicaId(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "web", 1);
        Runtime.Crash(web);
        provider.Failing = true;

        project.Tell(new CheckDrift(Heal: true), TestActor);
        Assert.True(ExpectMsg<DriftReport>().Healing);
        var later = CreateTestProbe();
        project.Tell(new CheckDrift(Heal: false), later.Ref);
        provider.Gate.Set();
        var heal = Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift);
        var report = later.ExpectMsg<DriftReport>();

        Assert.False(heal.Result.Succeeded);
        Assert.Null(report.Failure);
        Assert.False(report.Healing);
        Assert.Equal(ActionType.Start, report.Plan.Actions.Single(a => a.Service == "web").Action);
    }

    /// <summary>While <see cref="Failing"/>, starts wait for <see cref="Gate"/> and then fail as the platform refusing.</summary>
    private sealed class FailingStart(SimulatedRuntime inner) : DelegatingProvider(inner)
    {
        public volatile bool Failing;

        public ManualResetEventSlim Gate { get; } = new();

        public override async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
        {
            if (!Failing)
            {
                return await base.StartAsync(replica, cancellationToken);
            }

            await Task.Run(() => Gate.Wait(TimeSpan.FromSeconds(20)), CancellationToken.None);
            throw new RuntimeException("simulated", replica, "refused");
        }
    }
}
