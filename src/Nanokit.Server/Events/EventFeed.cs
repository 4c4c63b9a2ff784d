using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Events;

/// <summary>
/// Wakes this node's watches when their project's event log grows: one LISTEN connection per node, whatever the
/// number of watches. A wake-up is a flag, not data (a bounded channel of one), so a watch costs the same memory
/// however many events arrive while it is busy writing; it then reads the log in pages. A watch also reads the log
/// every <c>poll-interval</c> on its own, so a notification lost while the connection is down delays events but
/// never loses one. At most <c>max-streams</c> watches per node; one more is RESOURCE_EXHAUSTED.
/// </summary>
internal sealed class EventFeed(IntentStore store, ServerSettings settings, ILogger<EventFeed> logger) : BackgroundService
{
    // Guarded by itself. A project's set goes when its last watch does, so watches of ever-new names (a client
    // probing, or NOT_FOUND refusals: they subscribe before the project is looked up) leave nothing behind. A lock,
    // not concurrent maps: removing an empty set races with a watch joining it.
    private readonly Dictionary<string, HashSet<Subscription>> watchers = new(StringComparer.Ordinal);
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

        var subscription = new Subscription(this, project);
        lock (watchers)
        {
            if (!watchers.TryGetValue(project, out var subscriptions))
            {
                watchers[project] = subscriptions = [];
            }

            subscriptions.Add(subscription);
        }

        return subscription;
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
        connection.Notification += (_, e) => Wake(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN \"{store.EventsChannel}\";", connection))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Whatever was written while no one listened: every watch reads its log again.
        string[] watched;
        lock (watchers)
        {
            watched = [.. watchers.Keys];
        }

        foreach (var project in watched)
        {
            Wake(project);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Wake(string project)
    {
        lock (watchers)
        {
            if (watchers.TryGetValue(project, out var subscriptions))
            {
                foreach (var subscription in subscriptions)
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
            if (watchers.TryGetValue(subscription.Project, out var subscriptions) && subscriptions.Remove(subscription) && subscriptions.Count == 0)
            {
                watchers.Remove(subscription.Project);
            }
        }

        Interlocked.Decrement(ref streams);
    }

    /// <summary>One watch's wake-up flag.</summary>
    internal sealed class Subscription(EventFeed feed, string project) : IDisposable
    {
        private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        private int disposed;

        public string Project => project;

        /// <summary>Returns when the project's log may have grown, or after <paramref name="poll"/> at the latest.</summary>
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
                // The poll interval passed: read the log anyway.
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
