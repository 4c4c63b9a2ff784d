using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

public sealed class SupersedeSpecs : ReconcilerFixture
{
    [Fact]
    public void A_create_that_completes_after_its_run_was_superseded_is_observed_by_the_next_run_not_planned_again()
    {
        var slow = new LateCreate(Runtime);
        var project = Sys.ActorOf(ProjectActor.Props("shop", "/tmp/nanokit-reconciler-spec", slow, Fast));
        var first = Apply(project, Load("services:\n  web: {command: [v1]}\n"));
        slow.Entered.Wait(TimeSpan.FromSeconds(10));

        // Same web, one more service: the new run supersedes the first while web's create is still in flight.
        var second = Apply(project, Load("services:\n  web: {command: [v1]}\n  db: {command: [v1]}\n"));
        slow.Release.Set();
        var started = Events.FishForMessage<RunStarted>(m => m is RunStarted s && s.Generation == second.Generation, TimeSpan.FromSeconds(20));

        Assert.True(first.Generation < second.Generation);
        Assert.Equal(ActionType.NoOp, started.Plan.Actions.Single(a => a.Service == "web").Action);
        Assert.Equal(1, slow.WebCreates);
    }

    /// <summary>Web's first create ignores cancellation and completes only when released, as a daemon call already sent does.</summary>
    private sealed class LateCreate(SimulatedRuntime inner) : DelegatingProvider(inner)
    {
        private int webCreates;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public int WebCreates => Volatile.Read(ref webCreates);

        public override async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
        {
            if (replica.Service.Name == "web" && Interlocked.Increment(ref webCreates) == 1)
            {
                Entered.Set();
                await Task.Run(() => Release.Wait(TimeSpan.FromSeconds(20)), CancellationToken.None);
                return await base.CreateAsync(replica, CancellationToken.None);
            }

            return await base.CreateAsync(replica, cancellationToken);
        }
    }
}
