using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>A service's attachment to a network (<c>services.NAME.networks</c>): extra DNS aliases and fixed addresses.</summary>
public sealed record ServiceNetwork(ImmutableArray<string> Aliases, string? Ipv4Address, string? Ipv6Address, int? Priority)
{
    public static readonly ServiceNetwork Plain = new([], null, null, null);

    /// <summary>The top-level declaration, copied in by the loader so a runtime needs only the service; null for an undeclared <c>default</c>.</summary>
    public NetworkSpec? Definition { get; init; }
}

/// <summary>
/// A top-level <c>networks</c> entry. <see cref="Name"/> is the network's name on the runtime: Compose's
/// <c>name:</c>, the key itself for an external network, otherwise null (the runtime scopes it to the project).
/// </summary>
public sealed record NetworkSpec
{
    public string? Driver { get; init; }
    public ImmutableSortedDictionary<string, string> DriverOpts { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public bool External { get; init; }
    public string? Name { get; init; }
    public bool Internal { get; init; }
    public bool Attachable { get; init; }
    public bool EnableIpv6 { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
}

/// <summary>
/// A top-level <c>secrets</c> or <c>configs</c> entry: its content comes from a file (an absolute path), an
/// environment variable of the loading shell, inline <c>content</c> (configs only), or it is external.
/// </summary>
public sealed record FileSource
{
    public string? File { get; init; }
    public string? Environment { get; init; }
    public string? Content { get; init; }
    public bool External { get; init; }
    public string? Name { get; init; }
}

/// <summary>A secret or config granted to a service (<c>services.NAME.secrets</c>/<c>configs</c>), mounted read-only at <see cref="Target"/>.</summary>
public sealed record FileGrant(string Source, string Target, string? Uid, string? Gid, int? Mode)
{
    /// <summary>The top-level declaration, copied in by the loader so a runtime needs only the service.</summary>
    public FileSource? Definition { get; init; }
}

/// <summary>When a replica that exited is brought back (Compose <c>restart</c>, or <c>deploy.restart_policy</c>).</summary>
public enum RestartMode
{
    /// <summary>Compose's default: a replica that exits stays exited.</summary>
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

/// <summary>The restart rule; <see cref="MaxAttempts"/> bounds <c>on-failure</c> (null: unbounded).</summary>
public sealed record RestartPolicy(RestartMode Mode, int? MaxAttempts)
{
    public static readonly RestartPolicy No = new(RestartMode.No, null);

    public override string ToString() => Mode switch
    {
        RestartMode.Always => "always",
        RestartMode.UnlessStopped => "unless-stopped",
        RestartMode.OnFailure => MaxAttempts is { } n ? $"on-failure:{n}" : "on-failure",
        _ => "no",
    };
}

/// <summary>Compose <c>deploy.resources.reservations</c>: what the runtime sets aside for each replica.</summary>
public sealed record ResourceReservations(double? Cpus, long? MemoryBytes);
