using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>What a runtime reported for one project at one moment: an immutable snapshot.</summary>
public sealed record ObservedState(ImmutableArray<ObservedReplica> Replicas)
{
    public static readonly ObservedState Empty = new(ImmutableArray<ObservedReplica>.Empty);
}

/// <summary>
/// One running (or stopped) replica as the runtime sees it. <see cref="AppliedDefinition"/> is the
/// definition it was created from, when the runtime kept it (like kubectl's last-applied annotation);
/// the planner uses it to explain what changed, and the config hash alone to decide.
/// </summary>
public sealed record ObservedReplica(
    string Service,
    int Replica,
    string ConfigHash,
    ReplicaState State,
    int? ExitCode = null,
    string? Id = null,
    long Generation = 0,
    ServiceSpec? AppliedDefinition = null);

public enum ReplicaState
{
    Running,
    Exited,
    Unhealthy,
    Missing,
}
