using System.Globalization;
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
        new([service.Name, .. attachment.Aliases.IsDefault ? [] : attachment.Aliases])
        {
            IPAMConfig = attachment.Ipv4Address is null && attachment.Ipv6Address is null ? null : new EndpointIpam(attachment.Ipv4Address, attachment.Ipv6Address),
        };

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

    private static HostConfig WithOptions(this HostConfig host, ContainerOptions c) => host with
    {
        CapAdd = List(c.CapAdd),
        CapDrop = List(c.CapDrop),
        Privileged = c.Privileged ? true : null,
        ReadonlyRootfs = c.ReadOnly ? true : null,
        Init = c.Init,
        ShmSize = c.ShmSize,
        OomScoreAdj = c.OomScoreAdj,
        Dns = List(c.Dns),
        DnsSearch = List(c.DnsSearch),
        SecurityOpt = List(c.SecurityOpt),
        GroupAdd = List(c.GroupAdd),
        ExtraHosts = List(c.ExtraHosts),
        Tmpfs = c.Tmpfs.IsDefaultOrEmpty ? null : c.Tmpfs.ToDictionary(
            t => t.Split(':', 2)[0], t => t.Contains(':', StringComparison.Ordinal) ? t.Split(':', 2)[1] : "", StringComparer.Ordinal),
        Devices = c.Devices.IsDefaultOrEmpty ? null : [.. c.Devices.Select(Device)],
        Sysctls = c.Sysctls.IsEmpty ? null : c.Sysctls,
        Ulimits = c.Ulimits.IsEmpty ? null : [.. c.Ulimits.Select(u => new UlimitSetting(u.Key, u.Value.Soft, u.Value.Hard))],
        LogConfig = c.Logging is { } log ? new LogConfig(log.Driver ?? "", log.Options.IsEmpty ? null : log.Options) : null,
        PidMode = c.Pid,
        IpcMode = c.Ipc,
        Runtime = c.OciRuntime,
    };

    // The loader writes every device as HOST:CONTAINER[:PERMISSIONS].
    private static DeviceMapping Device(string device)
    {
        var parts = device.Split(':');
        return new DeviceMapping(parts[0], parts[1], parts.Length > 2 ? parts[2] : "rwm");
    }

    private static IReadOnlyList<string>? List(System.Collections.Immutable.ImmutableArray<string> values) => values.IsDefaultOrEmpty ? null : values;
}
