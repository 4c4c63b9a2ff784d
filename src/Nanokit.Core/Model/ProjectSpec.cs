using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>A fully resolved project: interpolated, merged, environment and profiles applied, validated.</summary>
public sealed record ProjectSpec(
    string Name,
    RuntimeKind Runtime,
    DriftSettings Drift,
    ImmutableSortedDictionary<string, ServiceSpec> Services,
    string WorkingDirectory)
{
    /// <summary>Why <see cref="Runtime"/> was chosen: the file's <c>runtime:</c>, or the default for what its services declare.</summary>
    public RuntimeChoice RuntimeChoice { get; init; } = RuntimeChoice.Declared;

    /// <summary>Compose's top-level <c>networks</c>, by key.</summary>
    public ImmutableSortedDictionary<string, NetworkSpec> Networks { get; init; } = ImmutableSortedDictionary<string, NetworkSpec>.Empty;

    /// <summary>Compose's top-level <c>secrets</c>, by key.</summary>
    public ImmutableSortedDictionary<string, FileSource> Secrets { get; init; } = ImmutableSortedDictionary<string, FileSource>.Empty;

    /// <summary>Compose's top-level <c>configs</c>, by key.</summary>
    public ImmutableSortedDictionary<string, FileSource> Configs { get; init; } = ImmutableSortedDictionary<string, FileSource>.Empty;

    /// <summary>Located warnings (deprecated forms) that did not stop the load.</summary>
    public ImmutableArray<Diagnostics.ConfigError> Warnings { get; init; } = [];
}

/// <summary>How the project's runtime was chosen.</summary>
public enum RuntimeChoice
{
    /// <summary>Named by the top-level <c>runtime:</c>.</summary>
    Declared,

    /// <summary>No <c>runtime:</c>, and every service declares an image: Docker, as Compose runs it.</summary>
    DefaultForImages,

    /// <summary>No <c>runtime:</c>, and a service declares no image (Nanokit's command form): local processes.</summary>
    DefaultForCommands,
}

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
