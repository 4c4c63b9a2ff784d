using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>A fully resolved project: interpolated, merged, environment and profiles applied, validated.</summary>
public sealed record ProjectSpec(
    string Name,
    RuntimeKind Runtime,
    DriftSettings Drift,
    ImmutableSortedDictionary<string, ServiceSpec> Services,
    string WorkingDirectory);

public enum RuntimeKind
{
    Local,
    Docker,
    Kubernetes,
}

/// <summary>How often the drift timer re-observes, and whether drift is healed or only reported.</summary>
public sealed record DriftSettings(TimeSpan Interval, bool Heal)
{
    public static readonly DriftSettings Default = new(TimeSpan.FromSeconds(30), true);
}
