using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class UnexpectedFailureSpecs : ReconcilerFixture
{
    [Fact]
    public void An_unexpected_exception_from_the_provider_fails_the_service_with_its_type_message_step_and_replica_instead_of_hanging_the_run()
    {
        var provider = new Throwing(Runtime, failCreateOf: "broken");
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));

        project.Tell(new ApplySpec(Load("services:\n  broken: {command: [x]}\n  after: {command: [x], depends_on: [broken]}\n  fine: {command: [x]}\n"), PlanOptions.Default), TestActor);
        var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        var failures = completed.Result.Failures.ToDictionary(f => f.Service, f => f.Reason);
        Assert.Equal("create replica 1: unexpected InvalidOperationException: wire protocol broke", failures["broken"]);
        Assert.Equal("blocked: dependency broken failed", failures["after"]);
        Assert.DoesNotContain("fine", failures.Keys);
    }

    [Fact]
    public void A_provider_call_cancelled_by_the_provider_itself_names_the_step_the_replica_and_the_exception()
    {
        var provider = new Throwing(Runtime, timeOutDeleteOf: "gone");
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));
        project.Tell(new ApplySpec(Load("services:\n  gone: {command: [x]}\n"), PlanOptions.Default), TestActor);
        Assert.True(AwaitRun(ExpectMsg<SpecAccepted>().Generation).Completed.Result.Succeeded);

        project.Tell(DestroyProject.Instance, TestActor);
        var (completed, progress) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        const string reason = "remove replica 1: timed out (TaskCanceledException: the daemon's answer never came)";
        Assert.Equal(reason, completed.Result.Failures.Single().Reason);
        Assert.Contains(progress, p => p is { Service: "gone", Phase: ServicePhase.Failed, Message: reason });
    }

    [Fact]
    public void An_unexpected_exception_while_observing_ends_the_run_with_the_reason()
    {
        var provider = new Throwing(Runtime, failObserve: true);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));

        project.Tell(new ApplySpec(Load("services:\n  web: {command: [x]}\n"), PlanOptions.Default), TestActor);
        var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>().Generation);

        Assert.Equal("cannot observe the runtime: unexpected FormatException: garbled answer", completed.Result.Failures.Single().Reason);
    }

    /// <summary>A provider whose calls fail with exceptions that are not <see cref="RuntimeException"/> (a driver bug, a garbled stream).</summary>
    private sealed class Throwing(SimulatedRuntime inner, string? failCreateOf = null, bool failObserve = false, string? timeOutDeleteOf = null) : DelegatingProvider(inner)
    {
        public override Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken) =>
            replica.Service == timeOutDeleteOf ? throw new TaskCanceledException("the daemon's answer never came") : base.DeleteAsync(replica, stopTimeout, cancellationToken);

        public override Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken) =>
            failObserve ? throw new FormatException("garbled answer") : base.ObserveAsync(project, cancellationToken);

        public override Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken) =>
            replica.Service.Name == failCreateOf ? throw new InvalidOperationException("wire protocol broke") : base.CreateAsync(replica, cancellationToken);
    }
}
