using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class UpdatePolicySpecs : ReconcilerFixture
{
    public UpdatePolicySpecs()
        : base(new SimulatedRuntimeOptions { Latency = TimeSpan.FromMilliseconds(30) })
    {
    }

    [Theory]
    [InlineData("", 4)]
    [InlineData("    deploy: {replicas: 4, update_config: {parallelism: 1}}\n", 1)]
    [InlineData("    deploy: {replicas: 4, update_config: {parallelism: 2, order: start-first}}\n", 2)]
    public void Updates_replace_at_most_parallelism_replicas_at_once(string policy, int expected)
    {
        var counting = new Counting(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", counting, Fast));
        var deploy = policy.Length > 0 ? policy : "    deploy: {replicas: 4}\n";
        AwaitRun(Apply(project, Load("services:\n  web:\n    command: [v1]\n" + deploy)).Generation);
        counting.Reset();

        var (completed, _) = AwaitRun(Apply(project, Load("services:\n  web:\n    command: [v2]\n" + deploy)).Generation);

        Assert.Empty(completed.Result.Failures);
        Assert.Equal((4, expected), (counting.Creates, counting.MostAtOnce));
    }

    /// <summary>Counts CreateAsync calls and the most that were in flight together.</summary>
    private sealed class Counting(SimulatedRuntime inner) : DelegatingProvider(inner)
    {
        private int inFlight;
        private int creates;
        private int mostAtOnce;

        public int Creates => Volatile.Read(ref creates);

        public int MostAtOnce => Volatile.Read(ref mostAtOnce);

        public void Reset() => (creates, mostAtOnce) = (0, 0);

        public override async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref creates);
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref mostAtOnce)) && Interlocked.CompareExchange(ref mostAtOnce, now, seen) != seen)
            {
            }

            try
            {
                return await base.CreateAsync(replica, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
    }
}
