using System.Collections.Immutable;

namespace Nanokit.Core.Plan;

/// <summary>What to plan: the whole project (the default) or <c>up SERVICE...</c>.</summary>
public sealed record PlanOptions
{
    public static readonly PlanOptions Default = new();

    /// <summary>The services named on the command line; they are planned with their transitive dependencies. Empty plans the whole project.</summary>
    public ImmutableArray<string> Services { get; init; } = [];

    /// <summary>
    /// Whether to delete replicas of services the configuration no longer defines. Null means the default:
    /// yes for the whole project (the reconciler converges), no for a subset (<c>up api</c> leaves the rest alone).
    /// </summary>
    public bool? RemoveOrphans { get; init; }

    /// <summary>With <see cref="Services"/>: plan those services alone, not their dependencies (<c>up --no-deps</c>).</summary>
    public bool NoDeps { get; init; }

    /// <summary>
    /// Services stopped by intent (<c>nkapp stop</c>): their running replicas are stopped, their stopped ones left so,
    /// and none is created or started, until <c>start</c>, <c>restart</c> or <c>up</c> asks for them again.
    /// </summary>
    public ImmutableArray<string> Stopped { get; init; } = [];

    /// <summary>Services whose running, current replicas are stopped and started again (<c>nkapp restart</c>): a one-off of one run.</summary>
    public ImmutableArray<string> Restart { get; init; } = [];

    /// <summary>
    /// How many times each replica was brought back after it exited, from the reconciler's journal: a replica of a service
    /// with <see cref="Model.ServiceSpec.RestartAttempts"/> is left exited once its count, for its current definition, reaches it.
    /// </summary>
    public ImmutableArray<RestartCount> RestartCounts { get; init; } = [];
}

/// <summary>Replica <paramref name="Replica"/> of <paramref name="Service"/>, with definition <paramref name="ConfigHash"/>, was started again <paramref name="Count"/> times after it exited.</summary>
public sealed record RestartCount(string Service, int Replica, string ConfigHash, int Count);
