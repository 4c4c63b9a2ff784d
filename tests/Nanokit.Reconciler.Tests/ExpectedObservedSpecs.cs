using Nanokit.Core.Plan;

namespace Nanokit.Reconciler.Tests;

/// <summary>A saved plan's check-index, checked again by the run when it observes.</summary>
public sealed class ExpectedObservedSpecs : ReconcilerFixture
{
    private const string Spec = "services:\n  db: {command: [db]}\n";

    [Fact]
    public void A_run_whose_observation_differs_from_the_saved_plan_does_nothing_and_says_why()
    {
        var project = Project();
        var stale = ObservedStateHash.Compute(Observe());
        AwaitRun(Apply(project, Load("services:\n  other: {command: [x]}\n")).Generation);

        project.Tell(new ApplySpec(Load(Spec), PlanOptions.Default) { ExpectedObserved = stale }, TestActor);
        var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.False(completed.Result.Succeeded);
        Assert.Contains("the runtime changed since the plan was made", completed.Result.Failures.Single().Reason);
        Assert.Equal("other[1]", Replicas(Observe()));
    }

    [Fact]
    public void A_run_whose_observation_matches_the_saved_plan_applies_it()
    {
        var project = Project();
        project.Tell(new ApplySpec(Load(Spec), PlanOptions.Default) { ExpectedObserved = ObservedStateHash.Compute(Observe()) }, TestActor);
        var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.Equal("db[1]", Replicas(Observe()));
    }
}
