using System.Collections.Immutable;
using System.Threading.Channels;
using Nanokit.Core.Model;

namespace Nanokit.Runtime.Simulated;

/// <summary>One project's replicas and watchers; every field is guarded by <see cref="Gate"/>.</summary>
internal sealed class SimulatedProject
{
    public Lock Gate { get; } = new();

    public Dictionary<(string Service, int Replica), SimulatedReplica> Replicas { get; } = new();

    /// <summary>Copy-on-write so publishing can iterate outside the lock.</summary>
    public ImmutableList<Channel<RuntimeChange>> Watchers { get; set; } = ImmutableList<Channel<RuntimeChange>>.Empty;
}

/// <summary>One simulated replica; <see cref="State"/> and <see cref="ExitCode"/> change under the project's gate.</summary>
internal sealed class SimulatedReplica(ReplicaSpec spec, string id, DateTimeOffset createdAt)
{
    public ReplicaSpec Spec { get; } = spec;

    public string Id { get; } = id;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public ReplicaState State { get; set; } = ReplicaState.Running;

    public int? ExitCode { get; set; }

    public TaskCompletionSource<int> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ObservedReplica ToObserved(HealthStatus health) => new(
        Spec.Service.Name,
        Spec.Replica,
        Spec.ConfigHash,
        State == ReplicaState.Running && health == HealthStatus.Unhealthy ? ReplicaState.Unhealthy : State,
        ExitCode,
        Id,
        Spec.Generation,
        Spec.Service);
}

/// <summary>Counts of calls that reached the simulated runtime.</summary>
public sealed record SimulatedRuntimeStats(long Creates, long Starts, long Deletes, long Hooks, long InjectedFailures);
