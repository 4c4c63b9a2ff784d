using System.Globalization;
using Docker.DotNet.Models;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Docker;

// The Compose keys beyond image, command and ports: networks a replica joins, and the container options (cap_add, ulimits…)
// as the Engine API spells them. Each Compose key maps to the create field docker compose sets for it.
internal static partial class ContainerDefinition
{
    /// <summary>A network a replica joins: its name on the daemon, the service's attachment, and the declaration (null: the project's default).</summary>
    internal sealed record JoinedNetwork(string Key, string Name, ServiceNetwork Attachment, NetworkSpec? Definition);

    /// <summary>
    /// The networks of a service without <c>network_mode</c>, the primary first: by Compose's <c>priority</c> (highest
    /// first), then by key. A service that names none joins the project's default network.
    /// </summary>
    public static IReadOnlyList<JoinedNetwork> Networks(string project, ServiceSpec service)
    {
        if (service.NetworkMode is not null)
        {
            return [];
        }

        if (service.Networks.IsEmpty)
        {
            return [new JoinedNetwork("default", ProjectNetwork(project), ServiceNetwork.Plain, null)];
        }

        return [.. service.Networks
            .OrderByDescending(n => n.Value.Priority ?? 0)
            .ThenBy(n => n.Key, StringComparer.Ordinal)
            .Select(n => new JoinedNetwork(n.Key, NetworkName(project, n.Key, n.Value.Definition), n.Value, n.Value.Definition))];
    }

    /// <summary>Compose's naming: the declaration's <c>name</c> (an external network's is its key), else <c>PROJECT_KEY</c>.</summary>
    public static string NetworkName(string project, string key, NetworkSpec? definition) =>
        definition?.Name ?? (key == "default" ? ProjectNetwork(project) : project + "_" + key);

    /// <summary>The service's endpoint on a network: reachable by its name and its aliases, at a fixed address when asked.</summary>
    public static EndpointSettings Endpoint(ServiceSpec service, ServiceNetwork attachment) =>
        new()
        {
            Aliases = [service.Name, .. attachment.Aliases.IsDefault ? [] : attachment.Aliases],
            IPAMConfig = attachment.Ipv4Address is null && attachment.Ipv6Address is null
                ? null
                : new EndpointIPAMConfig { IPv4Address = attachment.Ipv4Address ?? "", IPv6Address = attachment.Ipv6Address ?? "" },
        };

    /// <summary>A label's value (the library's maps are IDictionary, which has no GetValueOrDefault).</summary>
    internal static string? ValueOf(this IDictionary<string, string> map, string key, string? fallback = null) =>
        map.TryGetValue(key, out var value) ? value : fallback;

    /// <summary>Compose's <c>expose</c> as Docker's exposed-port keys, ranges expanded.</summary>
    private static IEnumerable<string> ExposedOnly(ContainerOptions options)
    {
        foreach (var entry in options.Expose)
        {
            var (ports, protocol) = (entry[..entry.IndexOf('/', StringComparison.Ordinal)], entry[(entry.IndexOf('/', StringComparison.Ordinal) + 1)..]);
            var bounds = ports.Split('-').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            for (var port = bounds[0]; port <= bounds[^1]; port++)
            {
                yield return port.ToString(CultureInfo.InvariantCulture) + "/" + protocol;
            }
        }
    }

    private static HostConfig WithOptions(HostConfig host, ContainerOptions c)
    {
        host.CapAdd = List(c.CapAdd);
        host.CapDrop = List(c.CapDrop);
        host.Privileged = c.Privileged;
        host.ReadonlyRootfs = c.ReadOnly;
        host.Init = c.Init;
        host.ShmSize = c.ShmSize ?? 0;
        host.OomScoreAdj = c.OomScoreAdj ?? 0;
        host.DNS = List(c.Dns);
        host.DNSSearch = List(c.DnsSearch);
        host.SecurityOpt = List(c.SecurityOpt);
        host.GroupAdd = List(c.GroupAdd);
        host.ExtraHosts = List(c.ExtraHosts);
        host.Tmpfs = c.Tmpfs.IsDefaultOrEmpty ? null : c.Tmpfs.ToDictionary(
            t => t.Split(':', 2)[0], t => t.Contains(':', StringComparison.Ordinal) ? t.Split(':', 2)[1] : "", StringComparer.Ordinal);
        host.Devices = c.Devices.IsDefaultOrEmpty ? null! : [.. c.Devices.Select(Device)];
        host.Sysctls = c.Sysctls.IsEmpty ? null : c.Sysctls.ToDictionary(StringComparer.Ordinal);
        host.Ulimits = c.Ulimits.IsEmpty ? null! : [.. c.Ulimits.Select(u => new global::Docker.DotNet.Models.Ulimit { Name = u.Key, Soft = u.Value.Soft, Hard = u.Value.Hard })];
        host.LogConfig = c.Logging is { } log
            ? new LogConfig { Type = log.Driver ?? "", Config = log.Options.IsEmpty ? null! : log.Options.ToDictionary(StringComparer.Ordinal) }
            : null!;
        host.PidMode = c.Pid ?? "";
        host.IpcMode = c.Ipc ?? "";
        host.Runtime = c.OciRuntime;
        return host;
    }

    // The loader writes every device as HOST:CONTAINER[:PERMISSIONS].
    private static DeviceMapping Device(string device)
    {
        var parts = device.Split(':');
        return new DeviceMapping { PathOnHost = parts[0], PathInContainer = parts[1], CgroupPermissions = parts.Length > 2 ? parts[2] : "rwm" };
    }

    // The library's models default lists to null where Docker reads null as "not set".
    private static IList<string> List(System.Collections.Immutable.ImmutableArray<string> values) => values.IsDefaultOrEmpty ? null! : [.. values];
}
