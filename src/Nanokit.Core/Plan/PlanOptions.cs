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
}
