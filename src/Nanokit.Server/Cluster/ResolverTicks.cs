using System.Reflection;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Nanokit.Server.Cluster;

/// <summary>
/// Has the split-brain resolver look at the cluster more often than once a second.
///
/// Design note. Akka.NET's resolver downs unreachable members on its first tick after they have stayed unchanged for
/// <c>stable-after</c>, and that tick is fixed at 1 s (<c>SplitBrainResolverBase.TickInterval</c>, no key sets it): a
/// failover waited a uniform 0-1 s beyond <c>stable-after</c> (mean 0.5 s, docs/benchmarks.md, failover). A tick
/// only compares clocks with the deadlines the resolver keeps — the stable deadline, the down-all-when-unstable
/// window, a lease's release time — so more of them change when a decision due is taken, never which decision or
/// whether it is due: a member is still downed no sooner than <c>stable-after</c> after the last change. The tick
/// message is internal to Akka.Cluster, so it is found by name; if an upgrade renames it, <see cref="Message"/> is
/// null, the node logs that once at start and the resolver keeps its own 1 s tick (ResolverTicksTests fails first).
/// </summary>
internal static class ResolverTicks
{
    /// <summary>Where Akka.Cluster starts the downing provider's actor (the resolver) on every node.</summary>
    public const string ResolverPath = "/system/cluster/core/daemon/downingProvider";

    /// <summary>The resolver's own tick message, or null when this Akka.Cluster has none by that name.</summary>
    public static object? Message { get; } = typeof(Akka.Cluster.Cluster).Assembly
        .GetType("Akka.Cluster.SBR.SplitBrainResolverBase+Tick")?
        .GetField("Instance", BindingFlags.Public | BindingFlags.Static)?
        .GetValue(null);

    /// <summary>Starts the ticks unless <paramref name="interval"/> is zero (off) or the message is not found.</summary>
    public static void Start(ActorSystem system, TimeSpan interval, ILogger logger)
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        if (Message is null)
        {
            logger.ResolverTickMissing();
            return;
        }

        system.ActorOf(Props.Create(() => new Ticker(interval)), "resolver-ticks");
    }

    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        private readonly TimeSpan interval;

        public Ticker(TimeSpan interval)
        {
            this.interval = interval;
            var resolver = Context.ActorSelection(ResolverPath);
            ReceiveAny(_ => resolver.Tell(Message, ActorRefs.NoSender));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() => Timers.StartPeriodicTimer("tick", "tick", interval);
    }
}
