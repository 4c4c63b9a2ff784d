using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nanokit.Server.Cluster;
using Npgsql;

namespace Nanokit.Server.Intents;

/// <summary>
/// Finds the stored intents this node may have to deliver and hands them to <see cref="IntentDelivery"/>, which sends
/// each until its project answers. It LISTENs on the intents channel (payload: a project name) and reads the pending
/// intents of the projects notified; it reads every pending intent at start and after each LISTEN reconnect (what was
/// notified while it was not listening), and every sweep interval those accepted since the previous sweep (with an
/// overlap), in case a notification was still on its way when a sweep ran. An intent is read once per notification or
/// sweep that names it, and sent only as <see cref="IntentDelivery"/> decides, so a sweep costs a query, not traffic.
/// Only the intents this node sends (<see cref="IntentSenders"/>) are read; after the members changed, the next sweep
/// reads every pending intent, so those of a sender that left are found by their new one.
/// </summary>
internal sealed class IntentDispatcher(
    IntentStore store, IntentSenders senders, IRequiredActor<ProjectShards> shards, IRequiredActor<IntentDelivery> delivery, ServerSettings settings, ILogger<IntentDispatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var region = await shards.GetAsync(stoppingToken).ConfigureAwait(false);
        var deliverer = await delivery.GetAsync(stoppingToken).ConfigureAwait(false);
        await StartEveryProjectAsync(region, stoppingToken).ConfigureAwait(false);
        var why = "start";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(deliverer, why, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                logger.ListenLost(e.Message, settings.ReconnectDelay);
                why = "reconnect";
                await Task.Delay(settings.ReconnectDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Asks the cluster to host every known project. Remember-entities restarts the projects of a node that left, but
    /// after the whole cluster stopped the coordinator's replicated state is gone: this brings every project back (and
    /// with it drift healing) without waiting for its next intent. Idempotent; one small message per project.
    /// </summary>
    private async Task StartEveryProjectAsync(IActorRef region, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                foreach (var project in await store.ProjectsAsync(cancellationToken).ConfigureAwait(false))
                {
                    region.Tell(new ShardRegion.StartEntity(project), ActorRefs.NoSender);
                }

                return;
            }
            catch (NpgsqlException e)
            {
                logger.ListenLost(e.Message, settings.ReconnectDelay);
                await Task.Delay(settings.ReconnectDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListenAsync(IActorRef deliverer, string why, CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var notified = new HashSet<string>(StringComparer.Ordinal);
        connection.Notification += (_, e) => notified.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{store.Channel}\";", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Listening before sweeping: an intent written in between is both notified and swept, never neither.
        senders.TakeSweepAll();
        var swept = await SweepAsync(deliverer, null, why, cancellationToken).ConfigureAwait(false);
        var nextSweep = DateTime.UtcNow + settings.SweepInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = nextSweep - DateTime.UtcNow;
            // Notifications are raised inside WaitAsync, on this thread. (A zero timeout would mean "forever" to Npgsql.)
            if (wait > TimeSpan.FromMilliseconds(1) && await connection.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
            {
                // Notifications that arrive together are read together: one query for a burst of writes.
                while (await connection.WaitAsync(TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false))
                {
                }

                ImmutableArray<string> mine = [.. notified.Where(senders.Sends)];
                notified.Clear();
                if (!mine.IsEmpty)
                {
                    var read = await store.PendingAsync(mine, null, senders.Sends, cancellationToken).ConfigureAwait(false);
                    deliverer.Tell(new IntentsPending(read.Intents, PendingScope.Notified), ActorRefs.NoSender);
                }

                continue;
            }

            swept = senders.TakeSweepAll()
                ? await SweepAsync(deliverer, null, "members changed", cancellationToken).ConfigureAwait(false)
                : await SweepAsync(deliverer, swept - settings.Delivery.SweepOverlap, "interval", cancellationToken).ConfigureAwait(false);
            nextSweep = DateTime.UtcNow + settings.SweepInterval;
        }
    }

    /// <summary>Reads the pending intents accepted since <paramref name="since"/> (all when null); returns when the store read them.</summary>
    private async Task<DateTimeOffset> SweepAsync(IActorRef deliverer, DateTimeOffset? since, string why, CancellationToken cancellationToken)
    {
        var read = await store.PendingAsync(null, since, senders.Sends, cancellationToken).ConfigureAwait(false);
        IntentTelemetry.Sweeps.Add(1);
        deliverer.Tell(new IntentsPending(read.Intents, since is null ? PendingScope.All : PendingScope.Recent), ActorRefs.NoSender);
        if (since is null && read.Intents.Length > 0)
        {
            logger.Swept(read.Intents.Length, why);
        }

        return read.ReadAt;
    }
}
