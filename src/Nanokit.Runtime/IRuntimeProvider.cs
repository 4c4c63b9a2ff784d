using Nanokit.Core.Model;

namespace Nanokit.Runtime;

/// <summary>
/// The one seam between the reconciler and a platform (local processes, Docker, Kubernetes, simulated):
/// the seeds' Deploy / Undeploy / Discover, plus what health gating and hooks need.
/// Every resource a provider creates carries project, service, replica index, config hash and generation,
/// so <see cref="ObserveAsync"/> alone is enough to rebuild the picture after a crash.
/// All methods are idempotent where the reconciler may retry them, and fail with <see cref="RuntimeException"/>.
/// </summary>
public interface IRuntimeProvider
{
    /// <summary>Short provider name for messages and traces ("local", "docker", "simulated").</summary>
    string Name { get; }

    /// <summary>Every replica this provider holds for the project, including ones whose service left the spec (orphans).</summary>
    Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken);

    /// <summary>
    /// Converges one replica slot to <paramref name="replica"/>: when a replica with the same config hash is already
    /// running it is kept (and returned), otherwise whatever holds the slot is stopped and a new one is started.
    /// Retrying after a crash therefore never leaves two replicas in one slot.
    /// </summary>
    Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken);

    /// <summary>
    /// Gets ahead of the plan: everything the given replicas (later layers of a run, in the order they will be needed) can
    /// have before their turn without running, so that their turn costs a start. Images are fetched once each; a runtime
    /// that separates creating from starting also creates each replica whose slot is empty, unstarted. The reconciler then
    /// calls <see cref="CreateAsync"/> as usual, which adopts a prepared replica of the same config hash by starting it and
    /// replaces one of another. A prepared replica is observed as <see cref="ReplicaState.Missing"/> (nothing runs yet), so
    /// it is never mistaken for a running or exited one, and one left by a crash is adopted or replaced by the next run.
    /// Best effort: a failure here is reported by the replica's own create, so it throws only when cancelled. Default: nothing to do.
    /// </summary>
    Task PrepareAsync(IReadOnlyList<ReplicaSpec> replicas, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts again an existing replica that has exited, from the definition it was created with.</summary>
    Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken);

    /// <summary>
    /// Stops the replica as <see cref="DeleteAsync"/> stops it, but keeps it, so that <see cref="StartAsync"/> starts it
    /// again from the same definition (<c>nkapp stop</c>); it is then observed as Exited. Stopping a replica that is not
    /// running succeeds. Providers that cannot yet do it say so, naming themselves.
    /// </summary>
    /// <param name="stopTimeout">As <see cref="DeleteAsync"/>'s.</param>
    Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken) =>
        Task.FromException(new RuntimeException(Name, replica, $"stopping a replica without removing it is not yet supported on the {Name} runtime"));

    /// <summary>
    /// Stops the replica gracefully (SIGTERM or the platform's equivalent, then a kill once the applied
    /// definition's stop grace period is over) and forgets it. Deleting a replica that does not exist succeeds.
    /// </summary>
    /// <param name="stopTimeout">
    /// The grace period for this call (<c>down -t</c>, <c>stop -t</c>) in place of the definition's stop_grace_period; null:
    /// the definition's. A per-call argument because one provider serves every run of a project, and runs of other
    /// commands.
    /// </param>
    Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// The replica's health with Docker's semantics (Starting until the first success, Unhealthy after
    /// <c>retries</c> consecutive failures once <c>start_period</c> is over). Providers that probe themselves run
    /// at most one probe per healthcheck interval and otherwise return the last result, so callers may poll freely.
    /// </summary>
    Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until the replica is Healthy or Unhealthy, or turns out to have no healthcheck, and returns that status.
    /// The default polls <see cref="ProbeHealthAsync"/> every 100 ms; a provider with a change stream answers from it.
    /// </summary>
    Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken) =>
        this.WaitForHealthAsync(replica, TimeSpan.FromMilliseconds(100), cancellationToken);

    /// <summary>Waits until the replica's process has ended and returns its exit code (for <c>service_completed_successfully</c>).</summary>
    Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the service's <paramref name="kind"/> hook (<c>service.Hooks.For(kind)</c>), killing it when its timeout passes;
    /// a non-zero exit is a result, not an exception. A service without that hook is a caller error (ArgumentException).
    /// </summary>
    Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken);

    /// <summary>
    /// Changes noticed after the call (a replica exiting, vanishing, appearing), for drift detection faster than a
    /// periodic observe. Providers with no change stream return an empty sequence that completes at once.
    /// </summary>
    IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, CancellationToken cancellationToken);
}
