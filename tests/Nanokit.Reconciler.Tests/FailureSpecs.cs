using System.Collections.Immutable;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class FailureSpecs() : ReconcilerFixture(new SimulatedRuntimeOptions
{
    Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty
        .Add("broken", new SimulatedServiceBehavior(FailCreate: true))
        .Add("sick", new SimulatedServiceBehavior(NeverHealthy: true))
        .Add("hooked", new SimulatedServiceBehavior(FailHooks: true)),
    HealthDelay = TimeSpan.FromMilliseconds(50),
})
{
    [Fact]
    public void A_failed_service_blocks_only_its_dependents_while_independent_branches_go_on()
    {
        var project = Project();
        var spec = Load("""
            services:
              broken: {command: [x]}
              needs-broken: {command: [x], depends_on: [broken]}
              after-that: {command: [x], depends_on: [needs-broken]}
              independent: {command: [x]}
              after-independent: {command: [x], depends_on: [independent]}
            """);

        var (completed, progress) = AwaitRun(Apply(project, spec).Generation);

        Assert.False(completed.Result.Succeeded);
        var failures = completed.Result.Failures.ToDictionary(f => f.Service, f => f.Reason);
        Assert.Equal(["after-that", "broken", "needs-broken"], failures.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("blocked: dependency broken failed", failures["needs-broken"]);
        Assert.Equal("blocked: dependency needs-broken failed", failures["after-that"]);
        Assert.Contains("broken", failures["broken"]);
        Assert.Equal("after-independent[1] independent[1]", Replicas(Observe()));
        Assert.Equal(3, progress.Count(p => p.Service == "broken" && p.Phase is ServicePhase.Retrying or ServicePhase.Failed));
    }

    [Fact]
    public void A_dependency_that_never_becomes_healthy_fails_with_the_reason_and_blocks_its_dependents()
    {
        var project = Project();
        var spec = Load("""
            services:
              sick: {command: [x], healthcheck: {test: [CMD, check], interval: 1s}}
              api: {command: [x], depends_on: {sick: {condition: service_healthy}}}
            """);

        var (completed, _) = AwaitRun(Apply(project, spec).Generation);

        var failures = completed.Result.Failures.ToDictionary(f => f.Service, f => f.Reason);
        Assert.Equal("replica 1 is unhealthy; dependents need service_healthy", failures["sick"]);
        Assert.Equal("blocked: dependency sick failed", failures["api"]);
    }

    [Fact]
    public void A_failing_hook_fails_its_service_and_status_shows_why()
    {
        var project = Project();
        var spec = Load("services:\n  hooked:\n    command: [x]\n    hooks: {prestart: [migrate]}\n");

        var (completed, _) = AwaitRun(Apply(project, spec).Generation);
        project.Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;

        Assert.False(completed.Result.Succeeded);
        var degraded = status.Conditions.Single(c => c.Type == "Degraded");
        Assert.True(degraded.Status);
        Assert.StartsWith("hooked: prestart hook", degraded.Message);
        Assert.False(status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Empty(Observe().Replicas);
    }

    [Fact]
    public void A_failed_run_is_retried_with_backoff_when_retries_are_on()
    {
        var project = Project(Fast with { RetryFailedRuns = true, RunRetry = new RetryPolicy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), 0.2, int.MaxValue) });

        var generation = Apply(project, Load("services:\n  broken:\n    command: [x]\n")).Generation;
        var first = AwaitRun(generation).Completed;
        var second = AwaitRun(generation).Completed;

        Assert.Equal(RunTrigger.Spec, first.Trigger);
        Assert.Equal(RunTrigger.Retry, second.Trigger);
        Assert.False(second.Result.Succeeded);
    }
}
