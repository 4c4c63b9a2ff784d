using System.Collections.Immutable;
using System.Net;
using Akka.Configuration;

namespace Nanokit.Server;

/// <summary>
/// The node's settings, validated in one place: hocon/server.conf (embedded), any --config file over it, and the
/// flags over both. A value that cannot be used throws <see cref="ServerConfigException"/> naming the flag or key.
/// </summary>
public sealed record ServerSettings(
    DnsEndPoint Listen,
    DnsEndPoint Cluster,
    ImmutableArray<DnsEndPoint> Seeds,
    string Store,
    string Name,
    string TokenFile,
    string? TlsCertificate,
    string? TlsKey,
    int MaxRequestBytes,
    string Channel,
    TimeSpan SweepInterval,
    TimeSpan ReconnectDelay,
    TimeSpan StoreRetryMax,
    DeliverySettings Delivery,
    bool SimulatedRuntime,
    string ProjectsDirectory,
    EventSettings Events,
    WatchSettings Watch,
    int MaxIntentBatch,
    string ScratchDirectory,
    TimeSpan ResolverTick)
{
    private const string Resource = "Nanokit.Server.server.conf";

    /// <summary>hocon/server.conf as shipped.</summary>
    public static Config Shipped { get; } = Load();

    public static ServerSettings From(ServerOptions options, Config config)
    {
        var server = config.GetConfig("nanokit.server");
        var listen = Endpoint(options.Listen ?? server.GetString("listen"), "--listen");
        var cluster = Endpoint(options.Cluster ?? server.GetString("cluster"), "--cluster");
        var store = options.Store is { Length: > 0 } s ? s : throw new ServerConfigException("--store (or NANOKIT_STORE) is required: the PostgreSQL connection string of the cluster's store");
        var tokens = options.TokenFile is { Length: > 0 } t ? t : throw new ServerConfigException("--token-file is required: every API call needs a bearer token (lines `sha256:HEX ROLE`)");
        if ((options.TlsCertificate is null) != (options.TlsKey is null))
        {
            throw new ServerConfigException("--tls-cert and --tls-key go together");
        }

        var maxRequest = server.GetInt("limits.max-request-bytes");
        if (maxRequest <= 0)
        {
            throw new ServerConfigException("nanokit.server.limits.max-request-bytes must be positive");
        }

        var name = options.Name ?? server.GetString("name");
        return new ServerSettings(
            listen,
            cluster,
            [.. options.Seeds.Select(seed => Endpoint(seed, "--seed"))],
            store,
            name is { Length: > 0 } ? name : $"{cluster.Host}:{cluster.Port}",
            tokens,
            options.TlsCertificate,
            options.TlsKey,
            maxRequest,
            server.GetString("intents.channel"),
            Positive(server, "intents.sweep-interval"),
            Positive(server, "intents.reconnect-delay"),
            Positive(server, "store-retry-max"),
            DeliveryFrom(server, config),
            server.GetBoolean("simulated-runtime"),
            Path.GetFullPath(server.GetString("projects-directory")),
            new EventSettings(server.GetString("events.channel"), PositiveInt(server, "events.keep"), PositiveInt(server, "events.max-buffered")),
            new WatchSettings(PositiveInt(server, "watch.max-streams"), PositiveInt(server, "watch.page-size"), Positive(server, "watch.poll-interval"), PositiveInt(server, "watch.tail-events")),
            PositiveInt(server, "intents.max-batch"),
            server.GetString("limits.scratch-directory") is { Length: > 0 } scratch && Directory.Exists(scratch) ? scratch : Path.GetTempPath(),
            server.GetString("resolver-tick") is "off" ? TimeSpan.Zero : Positive(server, "resolver-tick"));
    }

    /// <summary>The configuration the node runs with: the --config file's HOCON, then hocon/server.conf.</summary>
    public static Config Merge(ServerOptions options) =>
        options.ExtraHocon is { } extra ? ConfigurationFactory.ParseString(extra).WithFallback(Shipped) : Shipped;

    internal static DnsEndPoint Endpoint(string value, string flag)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            throw new ServerConfigException($"{flag} {value}: expected HOST:PORT");
        }

        return new DnsEndPoint(value[..colon].Trim('[', ']'), port);
    }

    private static DeliverySettings DeliveryFrom(Config server, Config config)
    {
        var delivery = new DeliverySettings(
            Positive(server, "intents.redeliver-after"), Positive(server, "intents.redeliver-max"), PositiveInt(server, "intents.max-in-flight"),
            Positive(server, "intents.sweep-overlap"), Positive(server, "intents.redeliver-after-max"))
        {
            ResendAfterRemoval = ShardsRehomedAfter(config),
        };
        return delivery.RedeliverMax < delivery.RedeliverAfter
            ? throw new ServerConfigException("nanokit.server.intents.redeliver-max must be at least intents.redeliver-after")
            : delivery.RedeliverAfterMax < delivery.RedeliverAfter
            ? throw new ServerConfigException("nanokit.server.intents.redeliver-after-max must be at least intents.redeliver-after")
            : delivery;
    }

    /// <summary>
    /// How long after a member's removal its shards have a new home known to every region: the coordinator waits
    /// <c>down-removal-margin</c> (off: the resolver's <c>stable-after</c>) before re-allocating them, and a region
    /// holding a message for one learns where it went at its next <c>retry-interval</c> (one more for the ask).
    /// </summary>
    private static TimeSpan ShardsRehomedAfter(Config config)
    {
        var margin = config.GetString("akka.cluster.down-removal-margin") is "off" or null
            ? config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after")
            : config.GetTimeSpan("akka.cluster.down-removal-margin");
        return margin + (2 * config.GetTimeSpan("akka.cluster.sharding.retry-interval"));
    }

    private static TimeSpan Positive(Config config, string key)
    {
        var value = config.GetTimeSpan(key);
        return value > TimeSpan.Zero ? value : throw new ServerConfigException($"nanokit.server.{key} must be positive");
    }

    private static int PositiveInt(Config config, string key)
    {
        var value = config.GetInt(key);
        return value > 0 ? value : throw new ServerConfigException($"nanokit.server.{key} must be positive");
    }

    private static Config Load()
    {
        using var stream = typeof(ServerSettings).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"resource {Resource} is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>nanokit.server.events: the project event logs (hocon/server.conf documents each).</summary>
public sealed record EventSettings(string Channel, int Keep, int MaxBuffered);

/// <summary>nanokit.server.intents: how a node delivers stored intents (hocon/server.conf documents each).</summary>
public sealed record DeliverySettings(TimeSpan RedeliverAfter, TimeSpan RedeliverMax, int MaxInFlight, TimeSpan SweepOverlap, TimeSpan RedeliverAfterMax)
{
    /// <summary>When, after a member was removed, unanswered intents are sent once more (zero: not); from the akka keys.</summary>
    public TimeSpan ResendAfterRemoval { get; init; }
}

/// <summary>nanokit.server.watch: WatchProject streams (hocon/server.conf documents each).</summary>
public sealed record WatchSettings(int MaxStreams, int PageSize, TimeSpan PollInterval, int TailEvents);

/// <summary>A flag or key the node cannot start with; the message names it.</summary>
public sealed class ServerConfigException(string message) : Exception(message);
