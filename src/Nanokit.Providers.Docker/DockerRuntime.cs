using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Nanokit.Core.Model;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Replicas as Docker containers, over the Engine API (see <see cref="DockerClient"/>). A replica is the container
/// named <c>project-service-n</c>; everything Nanokit needs to rebuild its picture after a crash is in the container's
/// labels and name (<see cref="ContainerDefinition"/>), so there is no state besides the daemon's.
/// The service's <c>pull_policy</c>, <c>network_mode</c> (default: the project's network, created on demand),
/// <c>deploy.resources.limits</c> and <c>deploy.update_config.order</c> apply as in Compose.
/// Calls on one slot are serialized within this process.
/// </summary>
public sealed partial class DockerRuntime : IRuntimeProvider, IReplicaLogs, IDisposable, IAsyncDisposable
{
    private const string ProviderName = "docker";

    private readonly DockerClient _client;
    private readonly DockerRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public DockerRuntime(DockerRuntimeOptions? options = null)
    {
        _options = options ?? new DockerRuntimeOptions();
        _options.Validate();
        _client = new DockerClient(_options.Endpoint);
        _hostHooks = new HookRunner(new LocalRuntimeOptions { HookOutputTailChars = _options.HookOutputTailChars });
    }

    public string Name => ProviderName;

    /// <summary>The daemon this runtime talks to.</summary>
    public DockerEndpoint Endpoint => _client.Endpoint;

    public void Dispose() => _client.Dispose();

    /// <summary>Checks that the daemon answers and negotiates the API version ("1.41"); a RuntimeException names the socket otherwise.</summary>
    public async Task<string> ConnectAsync(string project, CancellationToken cancellationToken)
    {
        try
        {
            await _client.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            return _client.ApiVersion!;
        }
        catch (DockerException e)
        {
            throw Failure(project, "*", e);
        }
    }

    public async Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        try
        {
            var path = "containers/json?all=true&filters=" + DockerClient.Filters((("label", ContainerDefinition.Project + "=" + project.Name)));
            using var response = await _client.SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
            var list = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync(
                response.Content, DockerJson.Default.ListContainerSummary, cancellationToken).ConfigureAwait(false) ?? [];
            var inspected = await Task.WhenAll(list
                .Where(c => c.Labels?.ContainsKey(ContainerDefinition.Replica) == true && c.Names?.Any(n => HoldsSlot(n, c.Labels)) == true)
                .Select(c => InspectAsync(c.Id, cancellationToken))).ConfigureAwait(false);
            return new ObservedState(inspected
                .Where(c => c is not null)
                .Select(c => ToObserved(c!))
                .Where(r => r is not null)
                .Select(r => r!)
                .OrderBy(r => r.Service, StringComparer.Ordinal)
                .ThenBy(r => r.Replica)
                .ToImmutableArray());
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, "*", e);
        }
    }

    public async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var id = replica.Id;
        Validate(id, replica.Service);
        using var slot = await LockAsync(ContainerDefinition.ContainerName(id), cancellationToken).ConfigureAwait(false);
        var name = ContainerDefinition.ContainerName(id);
        try
        {
            var request = Definition(replica);
            var existing = await InspectAsync(name, cancellationToken).ConfigureAwait(false);
            if (await InspectAsync(ContainerDefinition.SuccessorName(id), cancellationToken).ConfigureAwait(false) is { } successor)
            {
                if (IsRunningWith(successor, replica.ConfigHash) && !IsRunningWith(existing, replica.ConfigHash))
                {
                    return await TakeOverAsync(id, successor, existing, cancellationToken).ConfigureAwait(false);
                }

                await RemoveAsync(successor.Id, stopFirst: true, cancellationToken).ConfigureAwait(false);
            }

            if (IsRunningWith(existing, replica.ConfigHash) && ToObserved(existing) is { } kept)
            {
                return kept;
            }

            // Image and volumes first: a pull that fails leaves the old replica running.
            await PrepareAsync(id.Project, replica.Service, replica.Progress, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                if (existing.State?.Running == true && replica.Service.Update.Order == UpdateOrder.StartFirst)
                {
                    return await ReplaceStartFirstAsync(replica, existing, cancellationToken).ConfigureAwait(false);
                }

                await RemoveAsync(name, stopFirst: true, cancellationToken).ConfigureAwait(false);
            }

            await RunContainerAsync(id.Project, replica.Service, name, request, cancellationToken, cancellationToken).ConfigureAwait(false);
            return await ObserveContainerAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(id, e);
        }
    }

    public async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        using var slot = await LockAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
        var name = ContainerDefinition.ContainerName(replica);
        try
        {
            if (await InspectAsync(name, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new DockerException(404, "cannot start: the replica does not exist (create it instead)");
            }

            await StartContainerAsync(name, cancellationToken).ConfigureAwait(false);
            return await ObserveContainerAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(replica, e);
        }
    }

    public async Task DeleteAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        using var slot = await LockAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
        try
        {
            // A successor is in flight, never the replica: it goes without the grace a replica gets.
            await RemoveAsync(ContainerDefinition.SuccessorName(replica), stopFirst: false, cancellationToken).ConfigureAwait(false);
            await RemoveAsync(ContainerDefinition.ContainerName(replica), stopFirst: true, cancellationToken).ConfigureAwait(false);
            await RemoveProjectNetworkIfUnusedAsync(replica.Project.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(replica, e);
        }
    }

    public async Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        try
        {
            var container = await InspectAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
            if (container?.State is not { Running: true } state)
            {
                return HealthStatus.Unhealthy;
            }

            return state.Health?.Status switch
            {
                null or "" or "none" => HealthStatus.None,
                "starting" => HealthStatus.Starting,
                "healthy" => HealthStatus.Healthy,
                _ => HealthStatus.Unhealthy,
            };
        }
        catch (DockerException e)
        {
            throw Failure(replica, e);
        }
    }

    public async Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        try
        {
            return await WaitAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(replica, e, e.StatusCode == 404 ? "cannot wait for completion: the replica does not exist" : null);
        }
    }

    private async Task<int> WaitAsync(string container, CancellationToken cancellationToken)
    {
        using var response = await _client.SendAsync(
            HttpMethod.Post, "containers/" + Uri.EscapeDataString(container) + "/wait?condition=not-running", null, cancellationToken).ConfigureAwait(false);
        var result = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync(
            response.Content, DockerJson.Default.WaitResponse, cancellationToken).ConfigureAwait(false);
        if (result?.Error?.Message is { Length: > 0 } error)
        {
            throw new DockerException(500, error);
        }

        return (int)(result?.StatusCode ?? -1);
    }

    private async Task<ContainerInspect?> InspectAsync(string idOrName, CancellationToken cancellationToken) =>
        await _client.GetAsync("containers/" + Uri.EscapeDataString(idOrName) + "/json", DockerJson.Default.ContainerInspect, cancellationToken).ConfigureAwait(false);

    private async Task StartContainerAsync(string name, CancellationToken cancellationToken) =>
        await _client.CallAsync(HttpMethod.Post, "containers/" + Uri.EscapeDataString(name) + "/start", cancellationToken).ConfigureAwait(false);

    /// <summary>Stops (SIGTERM, then SIGKILL after the container's own StopTimeout) and removes; a missing container is fine.</summary>
    private async Task RemoveAsync(string name, bool stopFirst, CancellationToken cancellationToken)
    {
        var path = "containers/" + Uri.EscapeDataString(name);
        if (stopFirst)
        {
            await _client.CallAsync(HttpMethod.Post, path + "/stop", cancellationToken, notFoundIsFine: true).ConfigureAwait(false);
        }

        // 409: removal already in progress (a concurrent delete); the wait below sees it through.
        using var response = await _client.SendAsync(HttpMethod.Delete, path + "?force=true", null, cancellationToken, accepted: [404, 409]).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            await _client.SendAsync(HttpMethod.Post, path + "/wait?condition=removed", null, cancellationToken, accepted: 404).ConfigureAwait(false);
        }
    }

    /// <summary>The replica a container holds, or null when it is not one of ours (a hook container, foreign labels).</summary>
    private static ObservedReplica? ToObserved(ContainerInspect container)
    {
        var labels = container.Config?.Labels;
        if (labels is null
            || !labels.TryGetValue(ContainerDefinition.Service, out var service)
            || !int.TryParse(labels.GetValueOrDefault(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
            || !HoldsSlot(container.Name, labels))
        {
            return null;
        }

        _ = long.TryParse(labels.GetValueOrDefault(ContainerDefinition.Generation), NumberStyles.None, CultureInfo.InvariantCulture, out var generation);
        var state = container.State;
        var (replicaState, exitCode) = state switch
        {
            { Running: true, Health.Status: "unhealthy" } => (ReplicaState.Unhealthy, (int?)null),
            { Running: true } => (ReplicaState.Running, null),
            null => (ReplicaState.Missing, null),
            _ => (ReplicaState.Exited, state.ExitCode),
        };
        return new ObservedReplica(
            service, replica, labels.GetValueOrDefault(ContainerDefinition.ConfigHash, ""), replicaState, exitCode, container.Id, generation,
            ContainerDefinition.Deserialize(labels.GetValueOrDefault(ContainerDefinition.Applied)));
    }

    /// <summary>Whether a container's name is the slot its labels name: a start-first successor is not (yet) a replica.</summary>
    private static bool HoldsSlot(string? containerName, IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(ContainerDefinition.Project, out var project)
        && labels.TryGetValue(ContainerDefinition.Service, out var service)
        && int.TryParse(labels.GetValueOrDefault(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
        && ContainerDefinition.HoldsSlot(containerName, project, service, replica);

    private static bool IsRunningWith([NotNullWhen(true)] ContainerInspect? container, string configHash) =>
        container is { State.Running: true } && container.Config?.Labels?.GetValueOrDefault(ContainerDefinition.ConfigHash) == configHash;

    /// <summary>The replica's create request; a definition Docker cannot express fails before anything in the slot is touched.</summary>
    private static ContainerCreateRequest Definition(ReplicaSpec replica, string? successorOf = null)
    {
        try
        {
            return ContainerDefinition.For(replica, successorOf);
        }
        catch (ArgumentException e)
        {
            throw new DockerException(400, e.Message, e);
        }
    }

    private async Task<ObservedReplica> ObserveContainerAsync(string name, CancellationToken cancellationToken) =>
        ToObserved(await InspectAsync(name, cancellationToken).ConfigureAwait(false)
                   ?? throw new DockerException(404, "the container vanished right after it was started"))
        ?? throw new DockerException(500, "the container lost its labels");

    private static void Validate(ReplicaId id, ServiceSpec service)
    {
        if (!ContainerDefinition.IsValidNamePart(id.Project.Name) || !ContainerDefinition.IsValidNamePart(service.Name) || id.Replica < 0)
        {
            throw new RuntimeException(ProviderName, id, "project and service names must be valid container name parts ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and the replica index non-negative");
        }

        if (string.IsNullOrEmpty(service.Image))
        {
            throw new RuntimeException(ProviderName, id, "no 'image' to run (runtime docker runs images; use 'runtime: local' for plain commands)");
        }
    }

    /// <summary>Serializes work on one slot (by its container name) or one network within this process.</summary>
    private async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(key, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
