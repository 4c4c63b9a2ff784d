using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Reconciler.Tests;

/// <summary>A provider that passes every call to <paramref name="inner"/>; specs override the calls they script.</summary>
internal abstract class DelegatingProvider(IRuntimeProvider inner) : IRuntimeProvider
{
    public virtual string Name => "delegating";

    public virtual Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken) => inner.ObserveAsync(project, cancellationToken);

    public virtual Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken) => inner.CreateAsync(replica, cancellationToken);

    public virtual Task PrepareAsync(IReadOnlyList<ReplicaSpec> replicas, CancellationToken cancellationToken) => inner.PrepareAsync(replicas, cancellationToken);

    public virtual Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken) => inner.StartAsync(replica, cancellationToken);

    public virtual Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken) => inner.StopAsync(replica, stopTimeout, cancellationToken);

    public virtual Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken) => inner.DeleteAsync(replica, stopTimeout, cancellationToken);

    public virtual Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken) => inner.ProbeHealthAsync(replica, cancellationToken);

    public virtual Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken) => inner.WaitForHealthAsync(replica, cancellationToken);

    public virtual Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken) => inner.WaitForCompletionAsync(replica, cancellationToken);

    public virtual Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken) =>
        inner.RunHookAsync(project, service, kind, cancellationToken);

    public virtual IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, CancellationToken cancellationToken) => inner.WatchAsync(project, cancellationToken);
}
