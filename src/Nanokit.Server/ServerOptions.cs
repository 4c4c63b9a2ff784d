using System.Collections.Immutable;

namespace Nanokit.Server;

/// <summary>
/// What <c>nkapp server</c> was asked for on its command line and environment; null means "as hocon/server.conf says".
/// <see cref="ServerSettings.From"/> merges it with the configuration.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>--listen HOST:PORT: gRPC and management HTTP.</summary>
    public string? Listen { get; init; }

    /// <summary>--hub-listen HOST:PORT: the same routes over HTTP/1.1, for browsers (the Hub).</summary>
    public string? HubListen { get; init; }

    /// <summary>--cluster HOST:PORT: Akka remoting.</summary>
    public string? Cluster { get; init; }

    /// <summary>--seed HOST:PORT, repeatable: the nodes to join (none: this node forms the cluster).</summary>
    public ImmutableArray<string> Seeds { get; init; } = [];

    /// <summary>--store or NANOKIT_STORE: the PostgreSQL connection string.</summary>
    public string? Store { get; init; }

    /// <summary>--name: the node's name in logs and membership listings.</summary>
    public string? Name { get; init; }

    /// <summary>--token-file: bearer tokens, one <c>sha256:HEX ROLE</c> per line.</summary>
    public string? TokenFile { get; init; }

    /// <summary>--tls-cert / --tls-key: PEM files; both or neither.</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    /// <summary>Extra HOCON (a file's contents) applied over hocon/server.conf: --config FILE.</summary>
    public string? ExtraHocon { get; init; }
}
