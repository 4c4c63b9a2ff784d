using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Nanokit.Core.Model;
using Nanokit.Providers.Docker;
using Nanokit.Providers.Kubernetes;
using Nanokit.Providers.Local;
using Nanokit.Runtime;
using Nanokit.Runtime.Simulated;
using Nanokit.Server.Intents;

namespace Nanokit.Server.Runtime;

/// <summary>
/// The runtime provider of a server node. A project entity is created (and, after a failover, recovered) before any
/// message says which runtime its file names, so every call is routed to the provider of the runtime the project's
/// stored intent names. The runtime is read again at each observation (the start of every run) and remembered for
/// the calls that follow. With <c>nanokit.server.simulated-runtime</c> every project runs on one simulated runtime.
/// Every observation, and every replica created, started or deleted since, is recorded in <see cref="ObservedStore"/>
/// so that plans and drift checks on any node read the owner's view instead of calling a provider.
/// </summary>
internal sealed class ProjectRuntimes(IntentStore store, ObservedStore observed, bool simulated) : IRuntimeProvider, IReplicaLogs, IReplicaCommands, IDisposable
{
    private readonly ConcurrentDictionary<string, IRuntimeProvider> byProject = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ObservedState> seen = new(StringComparer.Ordinal);
    private readonly Lazy<SimulatedRuntime> simulatedRuntime = new(() => new SimulatedRuntime());
    private readonly Lazy<LocalRuntime> local = new(() => new LocalRuntime());
    private readonly Lazy<DockerRuntime> docker = new(() => new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.FromEnvironment() }));

    // Not cached on failure: a kubeconfig fixed while the node runs is picked up by the next run.
    private readonly Lazy<KubernetesRuntime> kubernetes = new(() => KubernetesRuntime.FromEnvironment(Environment.GetEnvironmentVariable), LazyThreadSafetyMode.PublicationOnly);

    public string Name => "server";

    public async Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        var state = await (await ResolveAsync(project, cancellationToken).ConfigureAwait(false)).ObserveAsync(project, cancellationToken).ConfigureAwait(false);
        Record(project.Name, _ => state);
        return state;
    }

    public async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        var created = await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).CreateAsync(replica, cancellationToken).ConfigureAwait(false);
        Record(replica.Project.Name, state => Replace(state, created.Service, created.Replica, created));
        return created;
    }

    public async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        var started = await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).StartAsync(replica, cancellationToken).ConfigureAwait(false);
        Record(replica.Project.Name, state => Replace(state, started.Service, started.Replica, started));
        return started;
    }

    /// <summary>Recorded as exited (its exit code unknown until the next observation), so drift read elsewhere sees it stopped.</summary>
    public async Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).StopAsync(replica, stopTimeout, cancellationToken).ConfigureAwait(false);
        Record(replica.Project.Name, state => state.Replicas.FirstOrDefault(r => r.Service == replica.Service && r.Replica == replica.Replica) is { } known
            ? Replace(state, replica.Service, replica.Replica, known with { State = ReplicaState.Exited, ExitCode = null })
            : state);
    }

    public async Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).DeleteAsync(replica, stopTimeout, cancellationToken).ConfigureAwait(false);
        Record(replica.Project.Name, state => Replace(state, replica.Service, replica.Replica, null));
    }

    public async Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).ProbeHealthAsync(replica, cancellationToken).ConfigureAwait(false);

    public async Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).WaitForHealthAsync(replica, cancellationToken).ConfigureAwait(false);

    public async Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).WaitForCompletionAsync(replica, cancellationToken).ConfigureAwait(false);

    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken) =>
        await (await ForAsync(project, cancellationToken).ConfigureAwait(false)).RunHookAsync(project, service, kind, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var provider = await ForAsync(project, cancellationToken).ConfigureAwait(false);
        await foreach (var change in provider.WatchAsync(project, cancellationToken).ConfigureAwait(false))
        {
            yield return change;
        }
    }

    /// <summary>The project's replicas as this node last observed or changed them (empty when it does not own it).</summary>
    public ObservedState Seen(string project) => seen.GetValueOrDefault(project) ?? ObservedState.Empty;

    public async IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var provider = await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false);
        if (provider is not IReplicaLogs logs)
        {
            throw new RuntimeException(provider.Name, replica, "this runtime keeps no logs");
        }

        await foreach (var line in logs.ReadLogsAsync(replica, options, cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    /// <summary><c>nkapp exec</c> over the API (ExecService): on the runtime the project's intent names.</summary>
    public async Task<int> ExecAsync(ReplicaId replica, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken) =>
        await Commands(await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false), replica)
            .ExecAsync(replica, command, streams, cancellationToken).ConfigureAwait(false);

    /// <summary><c>nkapp run</c> over the API (RunService): a one-off on the runtime the project's intent names.</summary>
    public async Task<int> RunOnceAsync(ProjectRef project, ServiceSpec service, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken) =>
        await Commands(await ForAsync(project, cancellationToken).ConfigureAwait(false), new ReplicaId(project, service.Name, 1))
            .RunOnceAsync(project, service, command, streams, cancellationToken).ConfigureAwait(false);

    public void Dispose()
    {
        if (docker.IsValueCreated)
        {
            docker.Value.Dispose();
        }

        if (kubernetes.IsValueCreated)
        {
            kubernetes.Value.Dispose();
        }
    }

    private KubernetesRuntime Kubernetes(string project)
    {
        try
        {
            return kubernetes.Value;
        }
        catch (KubeConfigException e)
        {
            throw new RuntimeException("server", project, "*", null, $"runtime kubernetes: {e.Message}");
        }
    }

    private static IReplicaCommands Commands(IRuntimeProvider provider, ReplicaId replica) => provider as IReplicaCommands
        ?? throw new RuntimeException(provider.Name, replica, $"the {provider.Name} runtime cannot run commands in a replica");

    private static ObservedState Replace(ObservedState state, string service, int replica, ObservedReplica? now) =>
        new([.. state.Replicas.Where(r => r.Service != service || r.Replica != replica), .. now is null ? [] : new[] { now }]);

    private void Record(string project, Func<ObservedState, ObservedState> change) =>
        observed.Record(project, seen.AddOrUpdate(project, _ => change(ObservedState.Empty), (_, state) => change(state)));

    private async Task<IRuntimeProvider> ForAsync(ProjectRef project, CancellationToken cancellationToken) =>
        byProject.TryGetValue(project.Name, out var known) ? known : await ResolveAsync(project, cancellationToken).ConfigureAwait(false);

    private async Task<IRuntimeProvider> ResolveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        if (simulated)
        {
            return simulatedRuntime.Value;
        }

        var runtime = await store.RuntimeOfAsync(project.Name, cancellationToken).ConfigureAwait(false);
        IRuntimeProvider provider = runtime switch
        {
            "docker" => docker.Value,
            "kubernetes" => Kubernetes(project.Name),
            "local" or null => local.Value,
            _ => throw new RuntimeException("server", project.Name, "*", null, $"runtime \"{runtime}\" is not available on this node"),
        };
        byProject[project.Name] = provider;
        return provider;
    }
}
