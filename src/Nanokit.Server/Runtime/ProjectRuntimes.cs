using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Nanokit.Core.Model;
using Nanokit.Providers.Docker;
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
/// </summary>
internal sealed class ProjectRuntimes(IntentStore store, bool simulated) : IRuntimeProvider, IDisposable
{
    private readonly ConcurrentDictionary<string, IRuntimeProvider> byProject = new(StringComparer.Ordinal);
    private readonly Lazy<SimulatedRuntime> simulatedRuntime = new(() => new SimulatedRuntime());
    private readonly Lazy<LocalRuntime> local = new(() => new LocalRuntime());
    private readonly Lazy<DockerRuntime> docker = new(() => new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.FromEnvironment() }));

    public string Name => "server";

    public async Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken) =>
        await (await ResolveAsync(project, cancellationToken).ConfigureAwait(false)).ObserveAsync(project, cancellationToken).ConfigureAwait(false);

    public async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).CreateAsync(replica, cancellationToken).ConfigureAwait(false);

    public async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).StartAsync(replica, cancellationToken).ConfigureAwait(false);

    public async Task DeleteAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        await (await ForAsync(replica.Project, cancellationToken).ConfigureAwait(false)).DeleteAsync(replica, cancellationToken).ConfigureAwait(false);

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

    public void Dispose()
    {
        if (docker.IsValueCreated)
        {
            docker.Value.Dispose();
        }
    }

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
            "local" or null => local.Value,
            _ => throw new RuntimeException("server", project.Name, "*", null, $"runtime \"{runtime}\" is not available on this node"),
        };
        byProject[project.Name] = provider;
        return provider;
    }
}
