using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class ProjectActorSpecs : ReconcilerFixture
{
    private const string Chain = """
        services:
          db:
            command: [db]
            healthcheck: {test: [CMD, check], interval: 1s}
          api:
            command: [api]
            deploy: {replicas: 2}
            depends_on: {db: {condition: service_healthy}}
          web:
            command: [web]
            depends_on: [api]
        """;

    public ProjectActorSpecs()
        : base(new SimulatedRuntimeOptions { HealthDelay = TimeSpan.FromMilliseconds(200) })
    {
    }

    [Fact]
    public void Applying_a_spec_creates_every_replica_layer_by_layer_and_completes_the_run()
    {
        var project = Project();

        var accepted = Apply(project, Load(Chain));
        var (completed, progress) = AwaitRun(accepted.Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.Equal("api[1] api[2] db[1] web[1]", Replicas(Observe()));
        var order = progress.Where(p => p.Phase is ServicePhase.Applying or ServicePhase.Succeeded).Select(p => $"{p.Service}:{p.Phase}").ToList();
        Assert.True(order.IndexOf("db:Succeeded") < order.IndexOf("api:Applying"), string.Join(", ", order));
        Assert.True(order.IndexOf("api:Succeeded") < order.IndexOf("web:Applying"), string.Join(", ", order));
    }

    [Fact]
    public void A_dependency_is_waited_for_until_healthy_before_its_dependents_start()
    {
        var project = Project();

        var (_, progress) = AwaitRun(Apply(project, Load(Chain)).Generation);

        var waited = progress.Single(p => p.Service == "db" && p.Phase == ServicePhase.Succeeded);
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(200), $"db reported ready after {waited.Elapsed}");
        Assert.Contains(progress, p => p.Service == "db" && p.Phase == ServicePhase.Waiting);
        Assert.DoesNotContain(progress, p => p.Service == "web" && p.Phase == ServicePhase.Waiting);
    }

    [Fact]
    public void Applying_the_same_spec_again_changes_nothing()
    {
        var project = Project();
        var spec = Load(Chain);
        AwaitRun(Apply(project, spec).Generation);
        var before = Runtime.Stats;

        var (completed, _) = AwaitRun(Apply(project, spec).Generation);

        Assert.True(completed.Result.Succeeded);
        Assert.Equal(before.Creates, Runtime.Stats.Creates);
        Assert.Equal(before.Deletes, Runtime.Stats.Deletes);
    }

    [Fact]
    public void Destroying_a_project_deletes_dependents_before_their_dependencies()
    {
        var project = Project();
        var spec = Load(Chain);
        AwaitRun(Apply(project, spec).Generation);

        project.Tell(DestroyProject.Instance, TestActor);
        var (completed, progress) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.True(completed.Result.Succeeded);
        Assert.Empty(Observe().Replicas);
        var deleted = progress.Where(p => p.Phase == ServicePhase.Deleting).Select(p => p.Service).ToList();
        Assert.Equal(["web", "api", "db"], deleted);
    }

    [Fact]
    public void Status_reports_the_observed_generation_and_ready_once_converged()
    {
        var project = Project();
        var accepted = Apply(project, Load(Chain));
        AwaitRun(accepted.Generation);

        project.Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;

        Assert.Equal(accepted.Generation, status.ObservedGeneration);
        Assert.True(status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.False(status.Conditions.Single(c => c.Type == "Degraded").Status);
    }

    [Fact]
    public void A_scale_change_creates_only_the_new_replicas()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Chain)).Generation);
        var creates = Runtime.Stats.Creates;

        AwaitRun(Apply(project, Load(Chain.Replace("replicas: 2", "replicas: 3"))).Generation);

        Assert.Equal(creates + 1, Runtime.Stats.Creates);
        Assert.Equal("api[1] api[2] api[3] db[1] web[1]", Replicas(Observe()));
    }

    [Fact]
    public void Orphans_are_removed_when_a_service_leaves_the_spec()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Chain)).Generation);

        var (completed, _) = AwaitRun(Apply(project, Load("services:\n  db:\n    command: [db]\n    healthcheck: {test: [CMD, check], interval: 1s}\n")).Generation);

        Assert.True(completed.Result.Succeeded);
        Assert.Equal("db[1]", Replicas(Observe()));
    }

    [Fact]
    public void Hooks_run_around_the_creation_of_a_service()
    {
        var project = Project();
        var spec = Load("services:\n  db:\n    command: [db]\n    hooks:\n      prestart: [migrate]\n      poststart: [seed]\n");

        var (_, progress) = AwaitRun(Apply(project, spec).Generation);

        var phases = progress.Where(p => p.Service == "db").Select(p => p.Phase).ToList();
        Assert.Equal([ServicePhase.Prestart, ServicePhase.Applying, ServicePhase.Poststart, ServicePhase.Succeeded], phases);
        Assert.Equal(2, Runtime.Stats.Hooks);
    }
}
