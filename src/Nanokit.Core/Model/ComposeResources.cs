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

    /// <summary>
    /// Lowercase hex SHA-256 of a file's content as it was at load (null for other sources): part of the config hash, so that
    /// a changed secret or config file re-creates the replicas that mount it. The content itself is never kept.
    /// </summary>
    public string? Digest { get; init; }
}

/// <summary>A secret or config granted to a service (<c>services.NAME.secrets</c>/<c>configs</c>), mounted read-only at <see cref="Target"/>.</summary>
public sealed record FileGrant(string Source, string Target, string? Uid, string? Gid, int? Mode)
{
    /// <summary>The top-level declaration, copied in by the loader so a runtime needs only the service.</summary>
    public FileSource? Definition { get; init; }
}

/// <summary>
/// Compose <c>restart</c>: whether a replica that exited is started again. Nanokit's heal enforces it (never Docker's
/// restart policy). A service that declares none is healed as Nanokit always has: restarted, unless it is a finished job.
/// </summary>
public enum RestartMode
{
    /// <summary><c>no</c>: a replica that exits stays exited, whatever its exit code.</summary>
    No,
    Always,

    /// <summary><c>on-failure</c>: started again only after a non-zero exit.</summary>
    OnFailure,

    /// <summary><c>unless-stopped</c>: as <see cref="Always"/>; Nanokit has no manual stop that would differ.</summary>
    UnlessStopped,
}

/// <summary>Compose <c>deploy.resources.reservations</c>: what the runtime sets aside for each replica.</summary>
public sealed record ResourceReservations(double? Cpus, long? MemoryBytes);
