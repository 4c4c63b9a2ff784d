using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
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
        var name = ContainerDefinition.ContainerName(replica);
        return Wrap(
            replica,
            options.Follow ? FollowSlotLogsAsync(name, options.Tail, cancellationToken) : ReadContainerLogsAsync(name, options.Tail, follow: false, since: null, cancellationToken),
            cancellationToken);
    }

    private async IAsyncEnumerable<RuntimeChange> WatchSinceAsync(ProjectRef project, DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = "events?since=" + (since.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture)
            + "&filters=" + DockerClient.Filters(("type", "container"), ("label", ContainerDefinition.Project + "=" + project.Name));
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(HttpMethod.Get, path, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, "*", e, "event stream: " + e.Message);
        }

        using (response)
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0 || JsonSerializer.Deserialize(line, DockerJson.Default.EventMessage) is not { Actor: { } actor } message)
                {
                    continue;
                }

                var action = message.Action ?? "";
                if (!WatchedActions.Contains(action) && !action.StartsWith("health_status", StringComparison.Ordinal))
                {
                    continue;
                }

                if (await ChangeOfAsync(actor, action, cancellationToken).ConfigureAwait(false) is { } replica)
                {
                    var at = message.TimeNano > 0 ? DateTimeOffset.UnixEpoch.AddTicks(message.TimeNano / 100) : DateTimeOffset.UtcNow;
                    yield return new RuntimeChange(project.Name, replica, at);
                }
            }
        }
    }

    private async Task<ObservedReplica?> ChangeOfAsync(EventActor actor, string action, CancellationToken cancellationToken)
    {
        var attributes = actor.Attributes;
        if (attributes is null
            || !attributes.TryGetValue(ContainerDefinition.Service, out var service)
            || !int.TryParse(attributes.GetValueOrDefault(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
            || !HoldsSlot(attributes.GetValueOrDefault("name"), attributes))
        {
            return null;
        }

        _ = long.TryParse(attributes.GetValueOrDefault(ContainerDefinition.Generation), NumberStyles.None, CultureInfo.InvariantCulture, out var generation);
        var missing = new ObservedReplica(
            service, replica, attributes.GetValueOrDefault(ContainerDefinition.ConfigHash, ""), ReplicaState.Missing, null, actor.ID, generation);
        if (action == "destroy" || actor.ID is null)
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
    private async IAsyncEnumerable<string> FollowSlotLogsAsync(string name, int? tail, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var container = await InspectAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new DockerException(404, "No such container: " + name);
        string? last = null;
        while (true)
        {
            await foreach (var entry in ReadContainerLogsAsync(container.Id, tail, follow: true, since: last, cancellationToken).ConfigureAwait(false))
            {
                var space = entry.IndexOf(' ', StringComparison.Ordinal);
                var timestamp = space > 0 ? entry[..space] : "";
                if (last is not null && string.CompareOrdinal(timestamp, last) <= 0)
                {
                    continue;
                }

                last = timestamp;
                yield return entry[(space + 1)..];
            }

            tail = null;
            var next = await NextInSlotAsync(name, container, cancellationToken).ConfigureAwait(false);
            if (next.Id != container.Id)
            {
                last = null;
            }

            container = next;
        }
    }

    private async Task<ContainerInspect> NextInSlotAsync(string name, ContainerInspect previous, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(FollowPoll, cancellationToken).ConfigureAwait(false);
            if (await InspectAsync(name, cancellationToken).ConfigureAwait(false) is { } current
                && (current.Id != previous.Id || current.State?.Running == true || current.State?.StartedAt != previous.State?.StartedAt))
            {
                return current;
            }
        }
    }

    /// <summary>
    /// A container's log lines. With <paramref name="follow"/>, each line starts with its timestamp and a space; a container
    /// already gone ends the stream; <paramref name="since"/> (such a timestamp) skips older lines, though not the ones of that instant.
    /// </summary>
    private async IAsyncEnumerable<string> ReadContainerLogsAsync(
        string container, int? tail, bool follow, string? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = "containers/" + Uri.EscapeDataString(container) + "/logs?stdout=true&stderr=true"
            + (follow ? "&follow=true&timestamps=true" : "")
            + "&tail=" + (tail is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all")
            + (since is not null && UnixTime(since) is { } unix ? "&since=" + unix : "");
        int[] accepted = follow ? [404] : [];
        using var response = await _client.SendAsync(HttpMethod.Get, path, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead, accepted).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            yield break;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var line in MultiplexedStream.ReadLinesAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            yield return line;
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
