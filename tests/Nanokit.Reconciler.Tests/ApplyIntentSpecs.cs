namespace Nanokit.Reconciler.Tests;

/// <summary>Intents stored by the control plane arrive with their own generation, possibly more than once.</summary>
public sealed class ApplyIntentSpecs : ReconcilerFixture
{
    private const string Web = """
        services:
          web:
            command: [web]
        """;

    [Fact]
    public void An_intent_is_accepted_under_its_own_generation_and_converged()
    {
        var project = Project();

        project.Tell(new ApplyIntent(7, Load(Web)), TestActor);

        Assert.Equal(7, ExpectMsg<SpecAccepted>().Generation);
        Assert.True(AwaitRun(7).Completed.Result.Succeeded);
        Assert.Equal("web[1]", Replicas(Observe()));
    }

    [Fact]
    public void An_intent_delivered_again_or_late_changes_nothing_and_is_answered_with_the_current_generation()
    {
        var project = Project();
        project.Tell(new ApplyIntent(3, Load(Web)), TestActor);
        ExpectMsg<SpecAccepted>();
        AwaitRun(3);

        project.Tell(new ApplyIntent(3, Load(Web)), TestActor);
        Assert.Equal(3, ExpectMsg<SpecAccepted>().Generation);
        project.Tell(new ApplyIntent(2, null), TestActor);
        Assert.Equal(3, ExpectMsg<SpecAccepted>().Generation);

        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal("web[1]", Replicas(Observe()));
    }

    [Fact]
    public void An_intent_without_a_spec_removes_every_replica()
    {
        var project = Project();
        project.Tell(new ApplyIntent(1, Load(Web)), TestActor);
        ExpectMsg<SpecAccepted>();
        AwaitRun(1);

        project.Tell(new ApplyIntent(2, null), TestActor);

        Assert.Equal(2, ExpectMsg<SpecAccepted>().Generation);
        Assert.True(AwaitRun(2).Completed.Result.Succeeded);
        Assert.Equal("", Replicas(Observe()));
    }
}
