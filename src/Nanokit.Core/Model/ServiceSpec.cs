using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Model;

/// <summary>
/// One resolved service. Two definitions are the same when their config hashes are equal
/// (<c>Nanokit.Core.Plan.ConfigHash</c>): collections here compare by reference, as records of immutable collections do.
/// Environment values are null for a variable declared without a value (Compose passes it through unset).
/// </summary>
public sealed record ServiceSpec
{
    public required string Name { get; init; }
    public string? Image { get; init; }

    /// <summary>Compose <c>build</c>; null when the image is pulled or already present. With a build, <see cref="Image"/> is the tag it gets.</summary>
    public BuildSpec? Build { get; init; }
    public ImmutableArray<string>? Command { get; init; }
    public ImmutableArray<string>? Entrypoint { get; init; }
    public string? WorkingDir { get; init; }
    public ImmutableSortedDictionary<string, string?> Environment { get; init; } = ImmutableSortedDictionary<string, string?>.Empty;
    public ImmutableArray<PortMapping> Ports { get; init; } = [];
    public ImmutableArray<VolumeMount> Volumes { get; init; } = [];
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, Dependency> DependsOn { get; init; } = ImmutableSortedDictionary<string, Dependency>.Empty;
    public HealthcheckSpec? Healthcheck { get; init; }
    public int Replicas { get; init; } = 1;
    public ImmutableArray<string> Profiles { get; init; } = [];
    public HooksSpec Hooks { get; init; } = HooksSpec.None;
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Compose <c>pull_policy</c>: when the runtime fetches the image. Not part of the config hash.</summary>
    public PullPolicy PullPolicy { get; init; } = PullPolicy.Missing;

    /// <summary>Compose <c>network_mode</c> (none, host, service:NAME, container:ID, or a network name); null is the project's network.</summary>
    public string? NetworkMode { get; init; }

    /// <summary>Compose <c>deploy.resources.limits</c>; null when none are set.</summary>
    public ResourceLimits? Limits { get; init; }

    /// <summary>Compose <c>deploy.update_config</c>: how replicas are replaced. Not part of the config hash.</summary>
    public UpdatePolicy Update { get; init; } = UpdatePolicy.Default;

    /// <summary>Environment variable names whose values are secret (declared with <c>secret_env</c>, or matching the secret name patterns).</summary>
    public ImmutableSortedSet<string> SecretEnvironment { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>Compose <c>deploy.resources.reservations</c>; null when none are set.</summary>
    public ResourceReservations? Reservations { get; init; }

    /// <summary>Compose <c>restart</c> (or <c>deploy.restart_policy</c>), enforced by Nanokit's heal; null when not declared. Not part of the config hash.</summary>
    public RestartMode? Restart { get; init; }

    /// <summary>
    /// How many times Nanokit's heal brings a replica back (Compose <c>on-failure:N</c>, or <c>deploy.restart_policy.max_attempts</c>),
    /// counted per replica and definition; null: no bound. Not part of the config hash.
    /// </summary>
    public int? RestartAttempts { get; init; }

    /// <summary>
    /// Compose <c>deploy.restart_policy.delay</c>: how long Nanokit's heal waits before it brings back a replica that exited;
    /// zero (the default): at once. Not part of the config hash.
    /// </summary>
    public TimeSpan RestartDelay { get; init; }

    /// <summary>The container-level Compose keys (cap_add, user, hostname, ulimits…).</summary>
    public ContainerOptions Container { get; init; } = ContainerOptions.None;

    /// <summary>Compose <c>networks</c> of the service, by the project's network key; empty: the project's default network.</summary>
    public ImmutableSortedDictionary<string, ServiceNetwork> Networks { get; init; } = ImmutableSortedDictionary<string, ServiceNetwork>.Empty;

    /// <summary>Compose <c>secrets</c> granted to the service (mounted under /run/secrets by default).</summary>
    public ImmutableArray<FileGrant> Secrets { get; init; } = [];

    /// <summary>Compose <c>configs</c> granted to the service (mounted at /NAME by default).</summary>
    public ImmutableArray<FileGrant> Configs { get; init; } = [];

    /// <summary>Nanokit's per-service provider options (<c>x-nanokit-runtime:</c> on the service), passed to the provider untouched.</summary>
    public ImmutableSortedDictionary<string, string> RuntimeOptions { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Where the service is declared (its key in <c>services:</c>).</summary>
    public SourceLocation Location { get; init; } = SourceLocation.Unknown;
}

public enum PullPolicy
{
    /// <summary>Pull only when the image is not present (Compose's default; <c>if_not_present</c> is the same).</summary>
    Missing,
    Always,
    Never,
}

/// <summary>Hard limits for each replica: CPUs (fractional), memory in bytes, process count.</summary>
public sealed record ResourceLimits(double? Cpus, long? MemoryBytes, int? Pids);

public enum UpdateOrder
{
    /// <summary>Stop the old replica, then start its replacement (Compose's default).</summary>
    StopFirst,

    /// <summary>Start the replacement, wait until it is healthy (or running, without a healthcheck), then stop the old one.</summary>
    StartFirst,
}

/// <summary>How an update replaces replicas: how many slots at once (null: all), and in which order within a slot.</summary>
public sealed record UpdatePolicy(int? Parallelism, UpdateOrder Order)
{
    public static readonly UpdatePolicy Default = new(null, UpdateOrder.StopFirst);
}

/// <summary>An edge of the dependency graph: this service waits for <see cref="Service"/> to meet <see cref="Condition"/>.</summary>
public sealed record Dependency(string Service, DependencyCondition Condition, bool Required, bool Restart, SourceLocation Location);

public enum DependencyCondition
{
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

public sealed record PortMapping(string? HostIp, int? HostPort, int ContainerPort, string Protocol)
{
    public override string ToString() =>
        (HostIp is null ? "" : HostIp + ":") + (HostPort is null ? "" : HostPort + ":") + ContainerPort + "/" + Protocol;
}

/// <summary>A bind mount (Source is a path), a named volume (Source is a name) or an anonymous volume (Source null).</summary>
public sealed record VolumeMount(string Type, string? Source, string Target, bool ReadOnly)
{
    /// <summary>
    /// A named volume's declared size (top-level <c>driver_opts.size</c>, a Kubernetes quantity such as "5Gi"; read on
    /// runtime kubernetes only), copied in by the loader so a runtime needs only the service; null when none is declared.
    /// </summary>
    public string? Size { get; init; }
}

public sealed record HealthcheckSpec(
    ImmutableArray<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Retries,
    TimeSpan StartPeriod,
    bool Disabled)
{
    /// <summary>Compose <c>start_interval</c>: the probe interval during the start period; zero is Docker's default.</summary>
    public TimeSpan StartInterval { get; init; }
}

public sealed record HooksSpec(Hook? Prestart, Hook? Poststart, Hook? Prestop)
{
    public static readonly HooksSpec None = new(null, null, null);

    public Hook? For(HookKind kind) => kind switch
    {
        HookKind.Prestart => Prestart,
        HookKind.Poststart => Poststart,
        HookKind.Prestop => Prestop,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>When a hook runs: before the service's replicas are (re)created, after they are ready, before they are removed.</summary>
public enum HookKind
{
    Prestart,
    Poststart,
    Prestop,
}

public enum HookLocation
{
    Service,
    Host,
}

/// <summary>A lifecycle hook: a command in exec form (a string command is split as Compose splits <c>command</c>).</summary>
public sealed record Hook(ImmutableArray<string> Command, HookLocation RunOn, TimeSpan Timeout);
