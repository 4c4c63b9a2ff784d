using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Change stream and logs: both are long-lived HTTP responses read as they arrive.
public sealed partial class DockerRuntime
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(250);

    private static readonly HashSet<string> WatchedActions = new(StringComparer.Ordinal) { "start", "die", "stop", "kill", "destroy", "rename" };

    /// <summary>
    /// Docker's <c>/events</c>, filtered by the project label, from the moment of the call (the <c>since</c> parameter
    /// closes the gap before the stream is open). Each start, die, stop, kill, destroy, rename or health_status event of a
    /// replica yields the replica's state as inspected then; destroy yields it Missing. A start-first successor's events
    /// are not the replica's until its rename gives it the slot's name.
    /// </summary>
    public IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        return WatchSinceAsync(project, DateTimeOffset.UtcNow, cancellationToken);
    }

    /// <summary>
    /// The replica's log lines. Following follows the slot rather than one container (see <see cref="FollowSlotLogsAsync"/>),
    /// so a replica restarted or replaced, by Nanokit or by hand, goes on in the same stream.
    /// </summary>
    public IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(options);
        var name = SlotName(replica);
        var since = options.Since is { } at ? UnixTime(at) : null;
        return Wrap(
            replica,
            options.Follow
                ? FollowSlotLogsAsync(name, options.Tail, options.Timestamps, since, cancellationToken)
                : ReadContainerLogsAsync(name, options.Tail, follow: false, options.Timestamps, since, cancellationToken),
            cancellationToken);
    }

    /// <summary>Docker keeps each line's time and filters by it (the logs call's <c>timestamps</c> and <c>since</c>).</summary>
    public bool KnowsLineTimes => true;

    private async IAsyncEnumerable<RuntimeChange> WatchSinceAsync(ProjectRef project, DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Since = (since.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture),
            Filters = DockerEngine.Filters(("type", "container"), ("label", ContainerDefinition.Project + "=" + project.Name)),
        };

        // The library reports each event to a callback while its call runs; the channel hands them to this enumerator.
        var events = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = MonitorAsync();
        try
        {
            await foreach (var message in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var action = message.Action ?? "";
                if (message.Actor is not { } actor || (!WatchedActions.Contains(action) && !action.StartsWith("health_status", StringComparison.Ordinal)))
                {
                    continue;
                }

                if (await ChangeOfAsync(actor, action, cancellationToken).ConfigureAwait(false) is { } replica)
                {
                    var at = message.TimeNano is > 0 and { } nanos ? DateTimeOffset.UnixEpoch.AddTicks(nanos / 100) : DateTimeOffset.UtcNow;
                    yield return new RuntimeChange(project.Name, replica, at);
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await monitor.ConfigureAwait(false);
        }

        async Task MonitorAsync()
        {
            Exception? failure = null;
            try
            {
                await _engine.CallAsync(
                    (client, token) => client.System.MonitorEventsAsync(parameters, new DockerEngine.Callback<Message>(m => events.Writer.TryWrite(m)), token),
                    stop.Token).ConfigureAwait(false);
            }
            catch (DockerException e)
            {
                failure = Failure(project.Name, "*", e, "event stream: " + e.Message);
            }
            catch (OperationCanceledException)
            {
                // The watcher stopped watching.
            }
            catch (Exception e)
            {
                // The daemon went away mid-event (a truncated line fails to parse): as unreachable, never a reader left waiting.
                failure = Failure(project.Name, "*", new DockerException(0, $"the Docker daemon at {_engine.Endpoint} broke its event stream: {e.Message}", e), null);
            }

            events.Writer.TryComplete(failure);
        }
    }

    private async Task<ObservedReplica?> ChangeOfAsync(Actor actor, string action, CancellationToken cancellationToken)
    {
        var attributes = actor.Attributes;
        if (attributes is null
            || !attributes.TryGetValue(ContainerDefinition.Service, out var service)
            || !int.TryParse(attributes.ValueOf(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
            || !HoldsSlot(attributes.ValueOf("name"), attributes))
        {
            return null;
        }

        _ = long.TryParse(attributes.ValueOf(ContainerDefinition.Generation), NumberStyles.None, CultureInfo.InvariantCulture, out var generation);
        var missing = new ObservedReplica(
            service, replica, attributes.ValueOf(ContainerDefinition.ConfigHash) ?? "", ReplicaState.Missing, null, actor.ID, generation);
        if (action == "destroy" || string.IsNullOrEmpty(actor.ID))
        {
            return missing;
        }

        try
        {
            return await InspectAsync(actor.ID, cancellationToken).ConfigureAwait(false) is { } container ? ToObserved(container) ?? missing : missing;
        }
        catch (DockerException e) when (!e.Unreachable)
        {
            return missing;
        }
    }

    /// <summary>
    /// Docker ends a follow stream when its container stops. Then this waits (until cancelled) for the slot's name to hold a
    /// container that is another one, or the same one started again, and goes on: another container from its start, the same
    /// one after the last line already given. Lines are told apart by the timestamps Docker prefixes when asked
    /// (RFC 3339 with nanoseconds, fixed width, UTC: their ordinal order is their time order). A line longer than the
    /// 16 KiB Docker's log drivers split at shows the timestamps of its later parts.
    /// </summary>
    private async IAsyncEnumerable<string> FollowSlotLogsAsync(
        string name, int? tail, bool timestamps, string? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var container = await InspectAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new DockerException(404, "No such container: " + name);
        string? last = null;
        while (true)
        {
            var from = last is not null ? UnixTime(last) : since;
            await foreach (var entry in ReadContainerLogsAsync(container.ID, tail, follow: true, timestamps: true, from, cancellationToken).ConfigureAwait(false))
            {
                var space = entry.IndexOf(' ', StringComparison.Ordinal);
                var timestamp = space > 0 ? entry[..space] : "";
                if (last is not null && string.CompareOrdinal(timestamp, last) <= 0)
                {
                    continue;
                }

                last = timestamp;
                yield return timestamps ? entry : entry[(space + 1)..];
            }

            tail = null;
            var next = await NextInSlotAsync(name, container, cancellationToken).ConfigureAwait(false);
            if (next.ID != container.ID)
            {
                last = null;
            }

            container = next;
        }
    }

    private async Task<ContainerInspectResponse> NextInSlotAsync(string name, ContainerInspectResponse previous, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(FollowPoll, cancellationToken).ConfigureAwait(false);
            if (await InspectAsync(name, cancellationToken).ConfigureAwait(false) is { } current
                && (current.ID != previous.ID || current.State?.Running == true || current.State?.StartedAt != previous.State?.StartedAt))
            {
                return current;
            }
        }
    }

    /// <summary>
    /// A container's log lines. With <paramref name="timestamps"/>, each line starts with its timestamp and a space; when
    /// following, a container already gone ends the stream; <paramref name="since"/> (Docker's "seconds.nanoseconds") skips
    /// older lines, though not the ones of that instant.
    /// </summary>
    private async IAsyncEnumerable<string> ReadContainerLogsAsync(
        string container, int? tail, bool follow, bool timestamps, string? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Follow = follow ? true : null,
            Timestamps = timestamps ? true : null,
            Tail = tail is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all",
            Since = since,
        };
        global::Docker.DotNet.MultiplexedStream stream;
        try
        {
            stream = await _engine.CallAsync((client, token) => client.Containers.GetContainerLogsAsync(container, parameters, token), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (follow && e.StatusCode == 404)
        {
            yield break;
        }

        using (stream)
        {
            await foreach (var line in LogLines.ReadAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                yield return line;
            }
        }
    }

    /// <summary>"2024-05-01T10:00:00.123456789Z" as Docker's "seconds.nanoseconds"; null for anything else (then nothing is skipped by time).</summary>
    internal static string? UnixTime(string timestamp)
    {
        var dot = timestamp.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || !timestamp.EndsWith('Z')
            || !DateTimeOffset.TryParseExact(timestamp[..dot], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var seconds))
        {
            return null;
        }

        var fraction = timestamp[(dot + 1)..^1];
        return fraction.Length > 0 && fraction.All(char.IsAsciiDigit)
            ? seconds.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "." + fraction
            : null;
    }

    /// <summary>An instant as Docker's "seconds.nanoseconds" (to the tick, 100 ns).</summary>
    internal static string UnixTime(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += TimeSpan.TicksPerSecond;
        }

        return seconds.ToString(CultureInfo.InvariantCulture) + "." + (rest * 100).ToString("D9", CultureInfo.InvariantCulture);
    }

    private static async IAsyncEnumerable<string> Wrap(ReplicaId replica, IAsyncEnumerable<string> lines, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var enumerator = lines.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            string line;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                line = enumerator.Current;
            }
            catch (DockerException e)
            {
                throw Failure(replica, e, "logs: " + e.Message);
            }

            yield return line;
        }
    }
}
