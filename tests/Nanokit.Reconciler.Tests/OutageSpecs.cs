using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>A platform that cannot be reached for a while (transient failures) is waited out; a failure it reports is not.</summary>
public sealed class OutageSpecs : ReconcilerFixture
{
    [Fact]
    public void Creates_and_health_waits_ride_out_an_outage_longer_than_the_attempt_budget()
    {
        // Fast allows 3 attempts: 6 unreachable answers per call are only survived through the outage tolerance.
        var provider = new Unreachable(Runtime, failures: 6, transient: true);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));

        var (completed, progress) = AwaitRun(Apply(project, Load(
            "services:\n  db:\n    command: [x]\n    healthcheck: {test: [CMD, ok]}\n  api: {command: [x], depends_on: {db: {condition: service_healthy}}}\n")).Generation);

        Assert.Empty(completed.Result.Failures);
        Assert.Equal((12, 6), (provider.CreateFailures, provider.HealthFailures));
        Assert.Contains(progress, p => p.Phase == ServicePhase.Retrying && p.Message.Contains("platform unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failure_the_platform_reports_still_stops_after_the_attempt_budget()
    {
        var provider = new Unreachable(Runtime, failures: 6, transient: false);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, Fast));

        var (completed, _) = AwaitRun(Apply(project, Load("services:\n  db: {command: [x]}\n")).Generation);

        Assert.Equal("simulated runtime: shop/db-1: refused", completed.Result.Failures.Single().Reason);
        Assert.Equal(3, provider.CreateFailures);
    }

    [Fact]
    public void An_outage_longer_than_the_tolerance_fails_the_service()
    {
        var provider = new Unreachable(Runtime, failures: int.MaxValue, transient: true);
        var settings = Fast with { ActionRetry = Fast.ActionRetry with { OutageTolerance = TimeSpan.FromMilliseconds(300) } };
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", provider, settings));

        var (completed, _) = AwaitRun(Apply(project, Load("services:\n  db: {command: [x]}\n")).Generation);

        Assert.Equal("simulated runtime: shop/db-1: refused", completed.Result.Failures.Single().Reason);
    }

    /// <summary>Fails the first <paramref name="failures"/> creates of each replica and health waits of each replica.</summary>
    private sealed class Unreachable(SimulatedRuntime inner, int failures, bool transient) : DelegatingProvider(inner)
    {
        private readonly Dictionary<string, int> calls = [];
        private int createFailures;
        private int healthFailures;

        public int CreateFailures => Volatile.Read(ref createFailures);

        public int HealthFailures => Volatile.Read(ref healthFailures);

        public override Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
        {
            if (Fails("create " + replica.Id))
            {
                Interlocked.Increment(ref createFailures);
                throw new RuntimeException("simulated", replica.Id, "refused") { Transient = transient };
            }

            return base.CreateAsync(replica, cancellationToken);
        }

        public override Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
        {
            if (Fails("health " + replica))
            {
                Interlocked.Increment(ref healthFailures);
                throw new RuntimeException("simulated", replica, "refused") { Transient = transient };
            }

            return base.WaitForHealthAsync(replica, cancellationToken);
        }

        private bool Fails(string call)
        {
            lock (calls)
            {
                calls[call] = calls.GetValueOrDefault(call) + 1;
                return calls[call] <= failures;
            }
        }
    }
}
