using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Tests;

/// <summary><c>stop</c>, <c>start</c> and <c>restart</c> as intent: a deliberate stop is not drift.</summary>
public sealed class StopStartSpecs : ReconcilerFixture
{
    private const string Spec = """
        services:
          db:
            command: [db]
            healthcheck: {test: [CMD, check], interval: 1s}
          api:
            command: [api]
            deploy: {replicas: 2}
            depends_on: {db: {condition: service_healthy}}
        """;

    [Fact]
    public void A_stopped_service_stays_stopped_through_a_drift_heal_and_start_runs_it_again()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);

        project.Tell(new StopServices(["api"]), TestActor);
        var stop = ExpectMsg<SpecAccepted>();
        var (stopped, progress) = AwaitRun(stop.Generation);
        project.Tell(new CheckDrift(Heal: true), TestActor);
        var drift = ExpectMsg<DriftReport>();

        Assert.True(stopped.Result.Succeeded, string.Join("; ", stopped.Result.Failures));
        Assert.Equal(2, stop.Generation);
        Assert.Contains(progress, p => p.Service == "api" && p.Phase == ServicePhase.Stopping);
        Assert.False(drift.Plan.HasChanges, drift.Plan.ToString());
        Assert.Equal("db:Running api:Exited api:Exited", States());

        project.Tell(new StartServices([]), TestActor);
        var (started, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.True(started.Result.Succeeded, string.Join("; ", started.Result.Failures));
        Assert.Equal("db:Running api:Running api:Running", States());
    }

    [Fact]
    public void An_up_starts_what_stop_stopped_under_a_new_generation()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        project.Tell(new StopServices([]), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation);
        Assert.Equal("db:Exited api:Exited api:Exited", States());

        var up = Apply(project, Load(Spec));
        var started = Events.FishForMessage<RunStarted>(m => m is RunStarted s && s.Generation == up.Generation);
        var (completed, _) = AwaitRun(up.Generation);

        Assert.Equal(3, up.Generation);
        Assert.False(up.Unchanged);
        Assert.All(started.Plan.Actions, a => Assert.Equal(ActionType.Start, a.Action));
        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.Equal("db:Running api:Running api:Running", States());
    }

    [Fact]
    public async Task A_stop_is_remembered_across_a_restart_of_the_node()
    {
        var first = StartSystem("first");
        var events = CreateTestProbe();
        Subscribe(first, events);
        var before = Project(system: first);
        before.Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);
        before.Tell(new StopServices(["api"]), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        var project = Project();
        project.Tell(new CheckDrift(Heal: true), TestActor);
        var drift = ExpectMsg<DriftReport>();

        Assert.False(drift.Plan.HasChanges, drift.Plan.ToString());
        Assert.Equal("db:Running api:Exited api:Exited", States());
    }

    [Fact]
    public void Restart_stops_and_starts_the_running_replicas_of_the_named_service_only()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        var ids = Observe().Replicas.ToDictionary(r => $"{r.Service}[{r.Replica}]", r => r.Id);

        project.Tell(new RestartServices(["api"]), TestActor);
        var restart = ExpectMsg<SpecAccepted>();
        var started = Events.FishForMessage<RunStarted>(m => m is RunStarted s && s.Generation == restart.Generation);
        var (completed, _) = AwaitRun(restart.Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.Equal(["api:Restart", "api:Restart", "db:NoOp"], started.Plan.Actions.Select(a => $"{a.Service}:{a.Action}").Order(StringComparer.Ordinal));
        var now = Observe().Replicas.ToDictionary(r => $"{r.Service}[{r.Replica}]", r => r.Id);
        Assert.Equal(ids["db[1]"], now["db[1]"]);
        Assert.NotEqual(ids["api[1]"], now["api[1]"]);
        Assert.NotEqual(ids["api[2]"], now["api[2]"]);
    }

    [Fact]
    public void A_restart_on_a_runtime_whose_stop_deletes_the_replica_creates_it_again_from_the_desired_spec()
    {
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", new StopDeletes(Runtime), Fast), "project-shop");
        AwaitRun(Apply(project, Load(Spec)).Generation);
        var ids = Observe().Replicas.ToDictionary(r => $"{r.Service}[{r.Replica}]", r => r.Id);

        project.Tell(new RestartServices(["api"]), TestActor);
        var restart = ExpectMsg<SpecAccepted>();
        var (completed, _) = AwaitRun(restart.Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        Assert.Equal("db:Running api:Running api:Running", States());
        var now = Observe().Replicas.ToDictionary(r => $"{r.Service}[{r.Replica}]", r => r.Id);
        Assert.Equal(ids["db[1]"], now["db[1]"]);
        Assert.NotEqual(ids["api[1]"], now["api[1]"]);
    }

    [Fact]
    public void A_stop_before_anything_is_applied_or_of_an_unknown_service_is_refused_and_changes_nothing()
    {
        var project = Project();
        project.Tell(new StopServices(["api"]), TestActor);
        Assert.Contains("run `nkapp up` first", ExpectMsg<IntentRefused>().Reason);
        AwaitRun(Apply(project, Load(Spec)).Generation);

        project.Tell(new StopServices(["nope"]), TestActor);
        var refused = ExpectMsg<IntentRefused>();
        project.Tell(GetProjectStatus.Instance, TestActor);

        Assert.Equal("no such service in generation 1: nope", refused.Reason);
        Assert.Equal(1, ExpectMsg<CurrentProjectStatus>().Status.Generation);
    }

    private string States() => string.Join(" ", Observe().Replicas
        .OrderBy(r => r.Service == "db" ? 0 : 1).ThenBy(r => r.Replica).Select(r => $"{r.Service}:{r.State}"));

    /// <summary>
    /// Stop and start as Kubernetes has them: a stop deletes the replica, and a start keeps nothing from it, so it finds
    /// the replica missing (as a runtime on the node that took the project over after the stop would).
    /// </summary>
    private sealed class StopDeletes(IRuntimeProvider runtime) : DelegatingProvider(runtime)
    {
        private readonly IRuntimeProvider inner = runtime;

        public override Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken) =>
            inner.DeleteAsync(replica, stopTimeout, cancellationToken);

        public override async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken) =>
            (await inner.ObserveAsync(replica.Project, cancellationToken)).Replicas.Any(r => r.Service == replica.Service && r.Replica == replica.Replica)
                ? await inner.StartAsync(replica, cancellationToken)
                : throw new RuntimeException("kubernetes", replica, "there is no pod to start") { Missing = true };
    }
}
