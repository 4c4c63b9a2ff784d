using System.Collections.Concurrent;
using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>The supervisor hands the provider a run's later layers up front; each replica's own turn still waits for its gate.</summary>
public sealed class PrepareAheadSpecs() : ReconcilerFixture(new SimulatedRuntimeOptions { HealthDelay = TimeSpan.FromMilliseconds(300) })
{
    [Fact]
    public void Later_layers_are_prepared_before_the_first_is_ready_and_created_only_after_it()
    {
        var provider = new Recording(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast), "project-shop");
        var spec = Load("""
            services:
              db: {command: [x], healthcheck: {test: [CMD, check], interval: 30s}}
              web: {command: [x], deploy: {replicas: 2}, depends_on: {db: {condition: service_healthy}}}
              worker: {command: [x], depends_on: [web]}
            """);

        var (completed, _) = AwaitRun(Apply(project, spec).Generation);

        Assert.True(completed.Result.Succeeded);
        var timeline = provider.Timeline.ToList();
        Assert.Equal("prepare web[1] web[2] worker[1]", timeline.Single(e => e.StartsWith("prepare", StringComparison.Ordinal)));
        var prepared = timeline.FindIndex(e => e.StartsWith("prepare", StringComparison.Ordinal));
        var ready = timeline.IndexOf("ready db[1]");
        Assert.True(prepared < ready, string.Join(", ", timeline));
        Assert.All(["create web[1]", "create web[2]", "create worker[1]"], e => Assert.True(timeline.IndexOf(e) > ready, string.Join(", ", timeline)));
    }

    [Fact]
    public void A_run_with_one_layer_prepares_nothing()
    {
        var provider = new Recording(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast), "project-shop");

        var (completed, _) = AwaitRun(Apply(project, Load("services: {db: {command: [x]}, cache: {command: [x]}}")).Generation);

        Assert.True(completed.Result.Succeeded);
        Assert.DoesNotContain(provider.Timeline, e => e.StartsWith("prepare", StringComparison.Ordinal));
    }

    /// <summary>Records, in order, what the reconciler asks of the runtime.</summary>
    private sealed class Recording(SimulatedRuntime inner) : DelegatingProvider(inner)
    {
        public ConcurrentQueue<string> Timeline { get; } = new();

        public override Task PrepareAsync(IReadOnlyList<ReplicaSpec> replicas, CancellationToken cancellationToken)
        {
            Timeline.Enqueue("prepare " + string.Join(" ", replicas.Select(r => $"{r.Service.Name}[{r.Replica}]")));
            return base.PrepareAsync(replicas, cancellationToken);
        }

        public override Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
        {
            Timeline.Enqueue($"create {replica.Service.Name}[{replica.Replica}]");
            return base.CreateAsync(replica, cancellationToken);
        }

        public override async Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
        {
            var status = await base.WaitForHealthAsync(replica, cancellationToken);
            Timeline.Enqueue($"ready {replica.Service}[{replica.Replica}]");
            return status;
        }
    }
}
