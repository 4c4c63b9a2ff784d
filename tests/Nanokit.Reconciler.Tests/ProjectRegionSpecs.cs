using Akka.Actor;
using Nanokit.Core.Plan;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Reconciler.Tests;

public sealed class ProjectRegionSpecs : ReconcilerFixture
{
    private static readonly ProjectRegion.BackoffSettings Restart = new(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), 0);

    [Fact]
    public void An_envelope_reaches_its_project_entity_and_the_answer_comes_back_to_the_sender()
    {
        var region = Sys.ActorOf(ProjectRegion.Props(id => ProjectActor.Props(id, "/tmp/nanokit-reconciler-spec", Runtime, Fast), Restart));

        region.Tell(new ProjectEnvelope("shop", new ApplySpec(Load("services:\n  web: {command: [x]}\n"), PlanOptions.Default)), TestActor);
        var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.True(completed.Result.Succeeded);
        region.Tell(new ProjectEnvelope("shop", GetProjectStatus.Instance), TestActor);
        Assert.Equal(1, ExpectMsg<CurrentProjectStatus>().Status.ObservedGeneration);
    }

    [Fact]
    public async Task A_started_project_resumes_its_unfinished_generation_without_a_message()
    {
        var crashed = StartSystem("crashed");
        // The crash lands mid-run: the crashed node's creates never finish, so the generation is left unfinished.
        crashed.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", new CreatesNeverFinish(Runtime), Fast), "project-shop")
            .Tell(new ApplySpec(Load("services:\n  web: {command: [x]}\n"), PlanOptions.Default), TestActor);
        var accepted = ExpectMsg<SpecAccepted>();
        await crashed.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        var region = Sys.ActorOf(ProjectRegion.Props(id => ProjectActor.Props(id, "/tmp/nanokit-reconciler-spec", Runtime, Fast), Restart));

        region.Tell(new ProjectRegion.StartProject("shop"));

        var (completed, _) = AwaitRun(accepted.Generation);
        Assert.Equal(RunTrigger.Resume, completed.Trigger);
    }
}
