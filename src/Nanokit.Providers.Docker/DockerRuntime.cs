using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Replicas as Docker containers, over the Engine API through Docker.DotNet (see <see cref="DockerEngine"/>). A replica is the container
/// named <c>project-service-n</c>; everything Nanokit needs to rebuild its picture after a crash is in the container's
/// labels and name (<see cref="ContainerDefinition"/>), so there is no state besides the daemon's.
/// The service's <c>pull_policy</c>, <c>network_mode</c> (default: the project's network, created on demand),
/// <c>deploy.resources.limits</c> and <c>deploy.update_config.order</c> apply as in Compose.
/// Calls on one slot are serialized within this process.
/// </summary>
public sealed partial class DockerRuntime : IRuntimeProvider, IReplicaLogs, IDisposable, IAsyncDisposable
{
    private const string ProviderName = "docker";

    private readonly DockerEngine _engine;
    private readonly DockerRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _readinessSlots;

    public DockerRuntime(DockerRuntimeOptions? options = null)
    {
        _options = options ?? new DockerRuntimeOptions();
        _options.Validate();
        _engine = new DockerEngine(_options.Endpoint);
        _readinessSlots = new SemaphoreSlim(_options.ReadinessProbeConcurrency, _options.ReadinessProbeConcurrency);
        _hostHooks = new HookRunner(new LocalRuntimeOptions { HookOutputTailChars = _options.HookOutputTailChars });
    }

    public string Name => ProviderName;

    /// <summary>The daemon this runtime talks to.</summary>
    public DockerEndpoint Endpoint => _engine.Endpoint;

    public void Dispose() => _engine.Dispose();

    /// <summary>Checks that the daemon answers and negotiates the API version ("1.41"); a RuntimeException names the socket otherwise.</summary>
    public async Task<string> ConnectAsync(string project, CancellationToken cancellationToken)
    {
        try
        {
            await _engine.CallAsync((client, token) => client.System.PingAsync(token), cancellationToken).ConfigureAwait(false);
            return _engine.ApiVersion!.ToString();
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
            var list = await ListContainersAsync(cancellationToken, ("label", ContainerDefinition.Project + "=" + project.Name)).ConfigureAwait(false);
            var inspected = await Task.WhenAll(list
                .Where(c => c.Labels?.ContainsKey(ContainerDefinition.Replica) == true && c.Names?.Any(n => HoldsSlot(n, c.Labels)) == true)
                .Select(c => InspectAsync(c.ID, cancellationToken))).ConfigureAwait(false);
            return new ObservedState(inspected
                .Where(c => c is not null)
                .Select(c => (Replica: ToObserved(c!), Container: c!))
                .Where(r => r.Replica is not null)
                .Select(r =>
                {
                    Remember(project, r.Replica!, r.Container);
                    return r.Replica!;
                })
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
        var name = ContainerDefinition.NameFor(replica);
        try
        {
            // Inspected first: the definition is written in the dialect negotiated by the first call.
            var existing = await SlotHolderAsync(replica, name, cancellationToken).ConfigureAwait(false);
            var request = Definition(replica);
            if (await InspectAsync(ContainerDefinition.SuccessorName(id), cancellationToken).ConfigureAwait(false) is { } successor)
            {
                if (IsRunningWith(successor, replica.ConfigHash) && !IsRunningWith(existing, replica.ConfigHash))
                {
                    return await TakeOverAsync(id, successor, existing, cancellationToken).ConfigureAwait(false);
                }

                await RemoveAsync(successor.ID, stopFirst: true, cancellationToken).ConfigureAwait(false);
            }

            if (IsRunningWith(existing, replica.ConfigHash) && ToObserved(existing) is { } kept)
            {
                return kept;
            }

            if (await StartPreparedAsync(replica, existing, cancellationToken).ConfigureAwait(false))
            {
                await RunPostStartAsync(replica.Service, name, cancellationToken).ConfigureAwait(false);
                return await ObserveContainerAsync(name, cancellationToken).ConfigureAwait(false);
            }

            // Image and volumes first: a pull that fails leaves the old replica running.
            await PrepareAsync(id.Project, replica.Service, replica.Progress, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                if (existing.State?.Running == true && replica.Service.Update.Order == UpdateOrder.StartFirst)
                {
                    return await ReplaceStartFirstAsync(replica, existing, cancellationToken).ConfigureAwait(false);
                }

                await RunPreStopAsync(existing, cancellationToken).ConfigureAwait(false);
                await RemoveAsync(existing.ID, stopFirst: true, cancellationToken).ConfigureAwait(false);
            }

            await StartingAsync(() => RunContainerAsync(id.Project, replica.Service, name, request, cancellationToken, cancellationToken)).ConfigureAwait(false);
            Remember(id, replica.Service.Container.ContainerName);
            await RunPostStartAsync(replica.Service, name, cancellationToken).ConfigureAwait(false);
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
        var name = SlotName(replica);
        try
        {
            var stopped = await InspectAsync(name, cancellationToken).ConfigureAwait(false)
                          ?? throw new DockerException(404, "cannot start: the replica does not exist (create it instead)");
            await StartContainerAsync(name, cancellationToken).ConfigureAwait(false);
            if (ContainerDefinition.Deserialize(stopped.Config?.Labels?.ValueOf(ContainerDefinition.Applied)) is { } applied)
            {
                await RunPostStartAsync(applied, name, cancellationToken).ConfigureAwait(false);
            }

            return await ObserveContainerAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(replica, e);
        }
    }

    public async Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        using var slot = await LockAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
        try
        {
            // A successor is in flight, never the replica: it goes without the grace a replica gets.
            await RemoveAsync(ContainerDefinition.SuccessorName(replica), stopFirst: false, cancellationToken).ConfigureAwait(false);
            await RunPreStopAsync(await InspectAsync(SlotName(replica), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await _engine.RemoveContainerIfExistsAsync(SlotName(replica), StopParameters(stopTimeout), cancellationToken).ConfigureAwait(false);
            Remember(replica, null);
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
            var container = await InspectAsync(SlotName(replica), cancellationToken).ConfigureAwait(false);
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
            return await WaitAsync(SlotName(replica), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(replica, e, e.StatusCode == 404 ? "cannot wait for completion: the replica does not exist" : null);
        }
    }

    private async Task<int> WaitAsync(string container, CancellationToken cancellationToken)
    {
        var result = await _engine.CallAsync((client, token) => client.Containers.WaitContainerAsync(container, token), cancellationToken).ConfigureAwait(false);
        if (result.Error?.Message is { Length: > 0 } error)
        {
            throw new DockerException(500, error);
        }

        return (int)result.StatusCode;
    }

    private Task<ContainerInspectResponse?> InspectAsync(string idOrName, CancellationToken cancellationToken) =>
        _engine.FindAsync((client, token) => client.Containers.InspectContainerAsync(idOrName, token), cancellationToken);

    private Task<IList<ContainerListResponse>> ListContainersAsync(CancellationToken cancellationToken, params (string Key, string Value)[] filters) =>
        _engine.CallAsync(
            (client, token) => client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = DockerEngine.Filters(filters) }, token),
            cancellationToken);

    private async Task StartContainerAsync(string name, CancellationToken cancellationToken)
    {
        using var span = DockerTelemetry.Source.StartActivity("docker.start");
        span?.SetTag("nanokit.container", name);
        await StartingAsync(() => _engine.CallAsync((client, token) => client.Containers.StartContainerAsync(name, null, token), cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Stops (SIGTERM, then SIGKILL after its stop_grace_period) and removes; a missing container is fine.</summary>
    private Task RemoveAsync(string name, bool stopFirst, CancellationToken cancellationToken) =>
        _engine.RemoveContainerIfExistsAsync(name, stopFirst ? StopParameters(null) : null, cancellationToken);

    /// <summary>
    /// A stop call's parameters: the container's own StopTimeout (its stop_grace_period) unless the call gave one
    /// (<c>-t</c>), rounded up to the whole seconds the Engine API counts.
    /// </summary>
    private static ContainerStopParameters StopParameters(TimeSpan? stopTimeout) => stopTimeout is { } timeout
        ? new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(timeout.TotalSeconds) }
        : new ContainerStopParameters();

    /// <summary>
    /// The replica a container holds, or null when it is not one of ours (a hook container, foreign labels). One that is
    /// being removed (<c>docker rm -f</c> answers at once, the daemon removes after) or that a removal left dead will not
    /// run again: it is Missing, so a heal recreates it (CreateAsync waits out the removal) instead of trying to start
    /// it, which fails until the removal ends, or leaving it as a mere exit.
    /// </summary>
    internal static ObservedReplica? ToObserved(ContainerInspectResponse container)
    {
        var labels = container.Config?.Labels;
        if (labels is null
            || !labels.TryGetValue(ContainerDefinition.Service, out var service)
            || !int.TryParse(labels.ValueOf(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
            || !HoldsSlot(container.Name, labels))
        {
            return null;
        }

        _ = long.TryParse(labels.ValueOf(ContainerDefinition.Generation), NumberStyles.None, CultureInfo.InvariantCulture, out var generation);
        var state = container.State;
        var (replicaState, exitCode) = state switch
        {
            { Running: true, Health.Status: "unhealthy" } => (ReplicaState.Unhealthy, (int?)null),
            { Running: true } => (ReplicaState.Running, null),
            null or { Status: "created" } => (ReplicaState.Missing, null), // never started: prepared (DockerRuntime.Prepare.cs)
            { Status: "removing" or "dead" } => (ReplicaState.Missing, null),
            _ => (ReplicaState.Exited, (int?)state.ExitCode),
        };
        return new ObservedReplica(
            service, replica, labels.ValueOf(ContainerDefinition.ConfigHash) ?? "", replicaState, exitCode, container.ID, generation,
            ContainerDefinition.Deserialize(labels.ValueOf(ContainerDefinition.Applied)));
    }

    /// <summary>Whether a container's name is the slot its labels name: a start-first successor is not (yet) a replica.</summary>
    private static bool HoldsSlot(string? containerName, IDictionary<string, string> labels) =>
        labels.TryGetValue(ContainerDefinition.Project, out var project)
        && labels.TryGetValue(ContainerDefinition.Service, out var service)
        && int.TryParse(labels.ValueOf(ContainerDefinition.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
        && ContainerDefinition.HoldsSlot(containerName, project, service, replica, labels.ValueOf(ContainerDefinition.FixedName));

    private static bool IsRunningWith([NotNullWhen(true)] ContainerInspectResponse? container, string configHash) =>
        container is { State.Running: true } && container.Config?.Labels?.ValueOf(ContainerDefinition.ConfigHash) == configHash;

    /// <summary>The replica's create request; a definition Docker cannot express fails before anything in the slot is touched.</summary>
    private CreateContainerParameters Definition(ReplicaSpec replica, string? successorOf = null)
    {
        try
        {
            return ContainerDefinition.For(replica, _engine.ApiVersion, successorOf);
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

        if (string.IsNullOrEmpty(service.Image) && service.Build is null)
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
