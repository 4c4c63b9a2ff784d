using Nanokit.Core.Model;

namespace Nanokit.Runtime;

/// <summary>
/// Which project a provider call is about: its name (the label every resource carries) and its directory
/// (where the local runtime keeps state and logs, and what relative paths resolve against).
/// Deliberately not the whole <see cref="ProjectSpec"/>: deleting orphans and observing need no spec.
/// </summary>
public sealed record ProjectRef(string Name, string Directory)
{
    public static ProjectRef Of(ProjectSpec spec) => new(spec.Name, spec.WorkingDirectory);

    public override string ToString() => Name;
}

/// <summary>One replica slot: project, service and replica index (Compose numbers replicas from 1).</summary>
public sealed record ReplicaId(ProjectRef Project, string Service, int Replica)
{
    public override string ToString() => $"{Project.Name}/{Service}-{Replica}";
}

/// <summary>What <see cref="IRuntimeProvider.CreateAsync"/> needs: the slot, the definition, and the labels it is stamped with.</summary>
public sealed record ReplicaSpec(ProjectRef Project, ServiceSpec Service, int Replica, string ConfigHash, long Generation)
{
    public ReplicaId Id => new(Project, Service.Name, Replica);

    /// <summary>Where a long step of the create reports how it goes ("pulling nginx:1.27: 3/7 layers"), for people watching; may be null.</summary>
    public IProgress<string>? Progress { get; init; }
}
