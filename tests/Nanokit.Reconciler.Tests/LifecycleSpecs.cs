using System.Diagnostics;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class LifecycleSpecs() : ReconcilerFixture(new SimulatedRuntimeOptions { HealthDelay = TimeSpan.FromMilliseconds(400) })
{
    private const string Spec = """
        services:
          db:
            command: [db]
            healthcheck: {test: [CMD, check], interval: 1s}
          api:
            command: [api, v1]
            depends_on: {db: {condition: service_healthy}}
        """;

    [Fact]
    public void A_newer_generation_supersedes_a_run_in_flight_and_no_dependent_of_the_stale_one_starts()
    {
        var project = Project();
        var first = Apply(project, Load(Spec));
        Events.FishForMessage<ServiceProgress>(p => p.Generation == first.Generation && p.Service == "db" && p.Phase == ServicePhase.Waiting);

        var second = Apply(project, Load(Spec.Replace("v1", "v2")));
        var (completed, _) = AwaitRun(second.Generation);

        Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        var api = Observe().Replicas.Single(r => r.Service == "api");
        Assert.Equal(second.Generation, api.Generation);
        Assert.Equal(1, Runtime.Stats.Creates - 1);
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task An_accepted_spec_survives_a_crash_and_the_restarted_node_resumes_the_run()
    {
        var crashed = StartSystem("crashed");
        var project = Project(system: crashed);
        project.Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        var accepted = ExpectMsg<SpecAccepted>();
        await crashed.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        var restarted = StartSystem("restarted");
        try
        {
            var events = CreateTestProbe();
            Subscribe(restarted, events);
            Project(system: restarted);

            var (completed, _) = AwaitRun(accepted.Generation, events);

            Assert.Equal(RunTrigger.Resume, completed.Trigger);
            Assert.True(completed.Result.Succeeded);
            Assert.Equal("api[1] db[1]", Replicas(Observe()));
        }
        finally
        {
            await restarted.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task A_looking_only_node_recovers_an_unconverged_generation_without_running_it()
    {
        var crashed = StartSystem("crashed");
        Project(system: crashed).Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        ExpectMsg<SpecAccepted>();
        await crashed.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        var creates = Runtime.Stats.Creates;

        var project = Project(Fast with { ResumeOnRecovery = false });
        project.Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;

        Assert.Equal(1, status.Generation);
        Assert.False(status.Running);
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(creates, Runtime.Stats.Creates);
    }

    [Fact]
    public async Task A_converged_generation_is_not_run_again_after_a_restart()
    {
        var first = StartSystem("first");
        var events = CreateTestProbe();
        Subscribe(first, events);
        var project = Project(system: first);
        project.Tell(new ApplySpec(Load(Spec), PlanOptions.Default), TestActor);
        AwaitRun(ExpectMsg<SpecAccepted>().Generation, events);
        await first.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        var creates = Runtime.Stats.Creates;

        Project().Tell(GetProjectStatus.Instance, TestActor);
        var status = ExpectMsg<CurrentProjectStatus>().Status;

        Assert.Equal(1, status.ObservedGeneration);
        Assert.False(status.Running);
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(creates, Runtime.Stats.Creates);
    }

    [Fact]
    public void A_replica_removed_by_hand_is_healed_from_the_runtime_change_stream()
    {
        var project = Project(Fast with { DriftTimer = true });
        AwaitRun(Apply(project, Load(Spec + "\ndrift: {interval: 1h, heal: true}\n")).Generation);

        Runtime.Remove(new ReplicaId(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "api", 1));
        var healed = Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift, TimeSpan.FromSeconds(10));

        Assert.True(healed.Result.Succeeded);
        Assert.Equal("api[1] db[1]", Replicas(Observe()));
    }

    [Fact]
    public void The_drift_timer_reports_without_healing_when_heal_is_off()
    {
        var project = Project(Fast with { DriftTimer = true });
        AwaitRun(Apply(project, Load(Spec + "\ndrift: {interval: 1h, heal: false}\n")).Generation);

        Runtime.Crash(new ReplicaId(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "api", 1));
        AwaitAssert(() =>
        {
            project.Tell(GetProjectStatus.Instance, TestActor);
            Assert.True(ExpectMsg<CurrentProjectStatus>().Status.Conditions.Single(c => c.Type == "Drifted").Status);
        });

        Assert.Equal(ReplicaState.Exited, Observe().Replicas.Single(r => r.Service == "api").State);
        project.Tell(new CheckDrift(Heal: false), TestActor);
        var report = ExpectMsg<DriftReport>();
        Assert.False(report.Healing);
        var action = report.Plan.Actions.Single(a => a.Action != ActionType.NoOp);
        Assert.Equal(("api", 1, ActionType.Start, "exited (137)"), (action.Service, action.Replica, action.Action, action.Cause));
    }

    [Fact]
    public void A_service_that_keeps_exiting_is_healed_with_growing_delays_not_in_a_tight_loop()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions
        {
            Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty.Add("flaky", new SimulatedServiceBehavior(ExitAfter: TimeSpan.FromMilliseconds(5), ExitCode: 1)),
        });
        var settings = Fast with { DriftTimer = true, RunRetry = new RetryPolicy(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 0, int.MaxValue) };
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", runtime, settings));
        project.Tell(new ApplySpec(Load("services:\n  flaky:\n    command: [x]\ndrift: {interval: 1h, heal: true}\n"), PlanOptions.Default), TestActor);
        ExpectMsg<SpecAccepted>();

        // A chatty change stream: ticks every 10 ms, so some always arrive while a heal is running (which once let
        // the heal after it start the moment the run ended).
        var ticks = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(
            TimeSpan.Zero, TimeSpan.FromMilliseconds(10), project, new DriftTick("test: runtime change"), ActorRefs.NoSender);
        var heals = new List<TimeSpan>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (heals.Count < 4)
        {
            Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift, TimeSpan.FromSeconds(30));
            heals.Add(clock.Elapsed);
        }

        ticks.Cancel();

        // Delays of 200, 400, 800 ms between heals (no jitter here): the gaps grow instead of repeating every event.
        // The bounds leave 100-200 ms for a late delivery of one event on a loaded machine; the faults they catch
        // leave gaps of a few ms (no backoff) or 200 ms (a count reset).
        Assert.True(heals[2] - heals[1] >= TimeSpan.FromMilliseconds(300), string.Join(", ", heals));
        Assert.True(heals[3] - heals[2] >= TimeSpan.FromMilliseconds(600), string.Join(", ", heals));
    }

    [Fact]
    public void A_replica_that_exits_before_the_change_stream_is_open_is_healed_after_the_run()
    {
        // The stream opens after the exit and never delivers: what heals is the look the project takes after a run
        // that began before the stream opened.
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions
        {
            Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty.Add("flaky", new SimulatedServiceBehavior(ExitAfter: TimeSpan.FromMilliseconds(5), ExitCode: 1)),
        });
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", new SilentWatch(runtime), Fast with { DriftTimer = true }));
        project.Tell(new ApplySpec(Load("services:\n  flaky:\n    command: [x]\ndrift: {interval: 1h, heal: true}\n"), PlanOptions.Default), TestActor);
        ExpectMsg<SpecAccepted>();

        Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Spec, TimeSpan.FromSeconds(30));
        var heal = Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift, TimeSpan.FromSeconds(30));
        Assert.True(heal.Result.Succeeded, string.Join("; ", heal.Result.Failures));
        Assert.True(runtime.Stats.Starts >= 1, $"{runtime.Stats.Starts} starts after the create");
    }

    /// <summary>
    /// A runtime whose change stream opens only once the project's replica has exited (as a stream slow to open
    /// would, under load) and then reports nothing.
    /// </summary>
    private sealed class SilentWatch(IRuntimeProvider inner) : DelegatingProvider(inner)
    {
        public override IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, CancellationToken cancellationToken)
        {
            Assert.True(
                SpinWait.SpinUntil(() => ObserveAsync(project, cancellationToken).Result.Replicas.Any(r => r.State == ReplicaState.Exited), TimeSpan.FromSeconds(20)),
                "the replica never exited");
            return Silent(cancellationToken);
        }

        private static async IAsyncEnumerable<RuntimeChange> Silent([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
    }

    [Fact]
    public void A_drift_check_on_request_heals_when_asked()
    {
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        Runtime.Crash(new ReplicaId(new ProjectRef("shop", "/tmp/nanokit-reconciler-spec"), "db", 1));

        project.Tell(new CheckDrift(Heal: true), TestActor);
        var report = ExpectMsg<DriftReport>();
        var healed = Events.FishForMessage<RunCompleted>(c => c.Trigger == RunTrigger.Drift);

        Assert.True(report.Healing);
        Assert.True(healed.Result.Succeeded);
        Assert.All(Observe().Replicas, r => Assert.Equal(ReplicaState.Running, r.State));
    }

    [Fact]
    public void Every_run_is_traced_as_reconcile_then_layer_then_action_then_wait()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ReconcilerTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        // The listener hears every run in this process (other test classes run in parallel): this run is told
        // apart by its own project name, and its spans by their trace.
        var name = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var project = Sys.ActorOf(ProjectActor.Props(name, "/tmp/nanokit-reconciler-spec", Runtime, Fast));

        AwaitRun(Apply(project, Load(Spec)).Generation);
        AwaitCondition(() =>
        {
            lock (spans)
            {
                return spans.Any(s => s.OperationName == "reconcile" && (string?)s.GetTagItem("nanokit.project") == name);
            }
        });

        lock (spans)
        {
            var reconcile = spans.Single(s => s.OperationName == "reconcile" && (string?)s.GetTagItem("nanokit.project") == name);
            var trace = spans.Where(s => s.TraceId == reconcile.TraceId).ToList();
            var layers = trace.Where(s => s.OperationName == "layer").ToList();
            var actions = trace.Where(s => s.OperationName == "action").ToList();
            var wait = trace.Single(s => s.OperationName == "wait");
            Assert.Equal(2, layers.Count);
            Assert.All(layers, l => Assert.Equal(reconcile.SpanId, l.ParentSpanId));
            Assert.All(actions, a => Assert.Contains(layers, l => l.SpanId == a.ParentSpanId));
            Assert.Equal("db", actions.Single(a => a.SpanId == wait.ParentSpanId).GetTagItem("nanokit.service"));
        }
    }
}
