using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Change stream and logs: both are long-lived HTTP responses read as they arrive.
public sealed partial class DockerRuntime
{
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

    public IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(options);
        return Wrap(replica, ReadContainerLogsAsync(ContainerDefinition.ContainerName(replica), options.Tail, options.Follow, cancellationToken), cancellationToken);
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
            throw new RuntimeException(ProviderName, project.Name, "*", null, "event stream: " + e.Message, e);
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

    private async IAsyncEnumerable<string> ReadContainerLogsAsync(string container, int? tail, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = "containers/" + Uri.EscapeDataString(container) + "/logs?stdout=true&stderr=true&follow=" + (follow ? "true" : "false")
            + "&tail=" + (tail is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all");
        using var response = await _client.SendAsync(HttpMethod.Get, path, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var line in MultiplexedStream.ReadLinesAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }
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
                throw new RuntimeException(ProviderName, replica, "logs: " + e.Message, e);
            }

            yield return line;
        }
    }
}
