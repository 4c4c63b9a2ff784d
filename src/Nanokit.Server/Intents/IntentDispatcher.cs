using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Server.Cluster;
using Npgsql;

namespace Nanokit.Server.Intents;

/// <summary>
/// Delivers stored intents to the project entities, wherever the cluster hosts them. It LISTENs on the intents
/// channel (payload: a project name) and sends that project's pending intent to the shard region; it also sweeps
/// every pending intent at start, after each LISTEN reconnect, and every sweep interval, so a notification lost
/// with a dying node or a dropped connection delays an intent but never loses it. Deliveries are idempotent
/// (<see cref="ApplyIntent"/>), so a notification and a sweep may both deliver the same generation.
/// </summary>
internal sealed class IntentDispatcher(IntentStore store, IRequiredActor<ProjectShards> shards, ServerSettings settings, ILogger<IntentDispatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var region = await shards.GetAsync(stoppingToken).ConfigureAwait(false);
        await StartEveryProjectAsync(region, stoppingToken).ConfigureAwait(false);
        var why = "start";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(region, why, stoppingToken).ConfigureAwait(false);
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

    private async Task ListenAsync(IActorRef region, string why, CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var notified = new HashSet<string>(StringComparer.Ordinal);
        connection.Notification += (_, e) => notified.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{store.Channel}\";", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Listening before sweeping: an intent written in between is both notified and swept, never neither.
        await SweepAsync(region, null, why, cancellationToken).ConfigureAwait(false);
        var nextSweep = DateTime.UtcNow + settings.SweepInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = nextSweep - DateTime.UtcNow;
            // Notifications are raised inside WaitAsync, on this thread. (A zero timeout would mean "forever" to Npgsql.)
            if (wait > TimeSpan.FromMilliseconds(1) && await connection.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
            {
                foreach (var project in notified)
                {
                    await SweepAsync(region, project, "notified", cancellationToken).ConfigureAwait(false);
                }

                notified.Clear();
                continue;
            }

            await SweepAsync(region, null, "interval", cancellationToken).ConfigureAwait(false);
            nextSweep = DateTime.UtcNow + settings.SweepInterval;
        }
    }

    private async Task SweepAsync(IActorRef region, string? project, string why, CancellationToken cancellationToken)
    {
        var pending = await store.PendingAsync(project, cancellationToken).ConfigureAwait(false);
        if (project is null)
        {
            IntentTelemetry.Sweeps.Add(1);
        }

        foreach (var intent in pending)
        {
            region.Tell(new ProjectEnvelope(intent.Project, new ApplyIntent(intent.Generation, intent.Spec)), ActorRefs.NoSender);
            IntentTelemetry.Deliveries.Add(1);
        }

        if (project is null && pending.Length > 0)
        {
            logger.Swept(pending.Length, why);
        }
    }
}
