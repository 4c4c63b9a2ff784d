using Akka.Actor;
using Akka.Persistence;
using Microsoft.Extensions.Logging;

namespace Nanokit.Server.Cluster;

/// <summary>
/// Makes a node's journal and snapshot store ready before a failover needs them. Akka starts a persistence plugin on
/// its first use, and Nanokit's PostgreSQL plugins create their tables and open their first connections then: on a node
/// that has hosted no project yet, the first shard it takes over paid for all of it (1.5–2.5 s measured on the loaded
/// 2-core machine, docs/benchmarks.md, failover) before its remembered projects could even be listed. At start the
/// node reads one snapshot and replays one (empty) persistence id through the same plugins, so that cost is paid
/// while nothing waits on it. Reads only: nothing is written, and a failure is logged, not fatal (the first real use
/// starts the plugins as before).
/// </summary>
internal static class PersistenceWarmup
{
    /// <summary>A persistence id no entity has: the region's ids are "project|NAME" and "/sharding/…".</summary>
    private const string PersistenceId = "nanokit-warmup";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts the warm-up and returns at once (the node's start does not wait on the store).</summary>
    public static Task Start(ActorSystem system, ILogger logger)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
                await persistence.SnapshotStoreFor(null).Ask<LoadSnapshotResult>(
                    new LoadSnapshot(PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), Timeout).ConfigureAwait(false);
                Func<IActorRef, object> replay = replyTo => new ReplayMessages(1, long.MaxValue, long.MaxValue, PersistenceId, replyTo);
                var replayed = await persistence.JournalFor(null).Ask<object>(replay, Timeout, CancellationToken.None).ConfigureAwait(false);
                if (replayed is ReplayMessagesFailure failure)
                {
                    throw failure.Cause;
                }
            }
            catch (Exception e)
            {
                logger.WarmupFailed(e.Message);
            }
        });
        return Task.CompletedTask;
    }
}
