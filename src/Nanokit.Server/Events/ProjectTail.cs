using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Nanokit.Server.Api.V1;
using Npgsql;

namespace Nanokit.Server.Events;

/// <summary>
/// The newest events of one watched project, read once per node and shared by all of that node's watches of it.
///
/// Design note. A notification (or a watch's poll interval running out) asks for a refresh; one read of the events
/// after the newest it read runs at a time, and requests that arrive meanwhile are served by one more read after it,
/// never one each. The events read are appended to a window of consecutive revisions (at most <c>capacity</c>, the
/// oldest dropped) and every watch is woken to take what it has not sent yet from the window. A watch further behind
/// than the window (resuming from an old revision) pages through the store itself until it reaches the window.
/// Revisions of a project commit in order (<see cref="EventLog"/>), so "the events after the newest read" misses none.
/// </summary>
internal sealed class ProjectTail(string project, EventLog log, int capacity, Action wake, ILogger logger)
{
    private readonly object gate = new();
    private ImmutableArray<ProjectEvent> window = [];

    // Every event up to this revision has been read (the window holds the newest of them); null before the first read.
    private long? newest;
    private bool reading;
    private bool again;
    private DateTime lastRead = DateTime.MinValue;

    public string Project => project;

    /// <summary>
    /// At most <paramref name="limit"/> events after <paramref name="after"/> from the window (empty when there are no
    /// newer ones yet); null when the window does not hold the event right after <paramref name="after"/> (not read
    /// yet, or no longer kept): read the store.
    /// </summary>
    public ImmutableArray<ProjectEvent>? After(long after, int limit)
    {
        lock (gate)
        {
            if (newest is not { } upTo)
            {
                return null;
            }

            if (after >= upTo)
            {
                return [];
            }

            var first = upTo - window.Length + 1;
            if (after + 1 < first)
            {
                return null;
            }

            return window.Skip((int)(after + 1 - first)).Take(limit).ToImmutableArray();
        }
    }

    /// <summary>Reads what was written since the last read (now, or right after the read in flight), then wakes the watches.</summary>
    public void Refresh()
    {
        lock (gate)
        {
            if (reading)
            {
                again = true;
                return;
            }

            reading = true;
        }

        _ = ReadAsync();
    }

    /// <summary>A watch's poll interval ran out: refresh, unless another watch's poll or a notification just did.</summary>
    public void RefreshIfOlderThan(TimeSpan age)
    {
        lock (gate)
        {
            if (DateTime.UtcNow - lastRead < age)
            {
                return;
            }
        }

        Refresh();
    }

    private async Task ReadAsync()
    {
        while (true)
        {
            try
            {
                await ReadNewAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                // The watches find nothing new and wait; their poll interval asks again.
                logger.TailNotRead(project, e.Message);
            }

            wake();
            lock (gate)
            {
                if (!again)
                {
                    reading = false;
                    return;
                }

                again = false;
            }
        }
    }

    private async Task ReadNewAsync()
    {
        lock (gate)
        {
            lastRead = DateTime.UtcNow;
        }

        if (newest is null)
        {
            // The first read (the first notification or poll after a watch began) takes the newest events, as many as
            // the window holds: the watches that began just before are served from it, older resumes page the store.
            var revision = await log.RevisionAsync(project, CancellationToken.None).ConfigureAwait(false) ?? 0;
            lock (gate)
            {
                newest = Math.Max(0, revision - capacity);
            }
        }

        while (true)
        {
            var after = newest!.Value;
            var page = await log.ReadAsync(project, after, capacity, CancellationToken.None).ConfigureAwait(false);
            lock (gate)
            {
                // Events pruned since the last read leave a gap: the window restarts after it.
                var joined = (page.IsEmpty || page[0].Revision == after + 1 ? window : []).AddRange(page);
                window = joined.Length > capacity ? joined.RemoveRange(0, joined.Length - capacity) : joined;
                newest = page.IsEmpty ? after : page[^1].Revision;
            }

            if (page.Length < capacity)
            {
                return;
            }
        }
    }
}
