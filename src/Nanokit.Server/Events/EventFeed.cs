using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Events;

/// <summary>
/// Feeds this node's watches as their project's event log grows: one LISTEN connection per node, and one
/// <see cref="ProjectTail"/> per watched project, which reads the new events once for every watch of it and wakes
/// them. A wake-up is a flag, not data (a bounded channel of one), so a watch costs the same memory however many
/// events arrive while it is busy writing; it then takes them from the tail, or pages through the store while it is
/// further behind. When a watch's <c>poll-interval</c> runs out with no wake-up, its tail reads the log anyway (once
/// for all its watches), so a notification lost while the connection is down delays events but never loses one. At
/// most <c>max-streams</c> watches per node; one more is RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class EventFeed(IntentStore store, EventLog log, ServerSettings settings, ILogger<EventFeed> logger) : BackgroundService
{
    // Guarded by itself. A project's entry goes when its last watch does, so watches of ever-new names (a client
    // probing, or NOT_FOUND refusals: they subscribe before the project is looked up) leave nothing behind. A lock,
    // not concurrent maps: removing an empty set races with a watch joining it.
    private readonly Dictionary<string, Watched> watchers = new(StringComparer.Ordinal);
    private int streams;

    /// <summary>Projects with at least one watch on this node.</summary>
    internal int WatchedProjects
    {
        get
        {
            lock (watchers)
            {
                return watchers.Count;
            }
        }
    }

    /// <summary>Registers a watch of <paramref name="project"/>; dispose it when the stream ends.</summary>
    public Subscription Subscribe(string project)
    {
        if (Interlocked.Increment(ref streams) > settings.Watch.MaxStreams)
        {
            Interlocked.Decrement(ref streams);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"this node already serves {settings.Watch.MaxStreams} watches (nanokit.server.watch.max-streams); retry later or on another node"));
        }

        lock (watchers)
        {
            if (!watchers.TryGetValue(project, out var watched))
            {
                watchers[project] = watched = new Watched(new ProjectTail(project, log, settings.Watch.TailEvents, () => WakeWatches(project), logger));
            }

            var subscription = new Subscription(this, watched.Tail);
            watched.Subscriptions.Add(subscription);
            return subscription;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                logger.EventsListenLost(e.Message, settings.ReconnectDelay);
                await Task.Delay(settings.ReconnectDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        connection.Notification += (_, e) => Refresh(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{store.EventsChannel}\";", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Whatever was written while no one listened: every tail reads its log again.
        string[] watched;
        lock (watchers)
        {
            watched = [.. watchers.Keys];
        }

        foreach (var project in watched)
        {
            Refresh(project);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Refresh(string project)
    {
        ProjectTail? tail;
        lock (watchers)
        {
            tail = watchers.GetValueOrDefault(project)?.Tail;
        }

        tail?.Refresh();
    }

    private void WakeWatches(string project)
    {
        lock (watchers)
        {
            if (watchers.TryGetValue(project, out var watched))
            {
                foreach (var subscription in watched.Subscriptions)
                {
                    subscription.Wake();
                }
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (watchers)
        {
            var project = subscription.Tail.Project;
            if (watchers.TryGetValue(project, out var watched) && watched.Subscriptions.Remove(subscription) && watched.Subscriptions.Count == 0)
            {
                watchers.Remove(project);
            }
        }

        Interlocked.Decrement(ref streams);
    }

    /// <summary>A watched project: its tail and the watches it wakes.</summary>
    private sealed record Watched(ProjectTail Tail)
    {
        public HashSet<Subscription> Subscriptions { get; } = [];
    }

    /// <summary>One watch's wake-up flag, and the tail it takes events from.</summary>
    internal sealed class Subscription(EventFeed feed, ProjectTail tail) : IDisposable
    {
        private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        private int disposed;

        public ProjectTail Tail => tail;

        /// <summary>
        /// Returns when the tail read new events, or after <paramref name="poll"/> at the latest (then the tail reads the
        /// log, unless it did within that interval, and wakes its watches).
        /// </summary>
        public async Task WaitAsync(TimeSpan poll, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(poll);
            try
            {
                await signal.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                tail.RefreshIfOlderThan(poll);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                feed.Remove(this);
            }
        }

        internal void Wake() => signal.Writer.TryWrite(true);
    }
}
