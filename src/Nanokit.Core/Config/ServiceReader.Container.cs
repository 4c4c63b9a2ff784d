using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// The container-level Compose keys (ContainerOptions) and restart: read as the Compose specification defines them.
internal sealed partial class ServiceReader
{
    /// <summary>Keys only a container runtime can honour; each present one is recorded for the runtime check in <see cref="Validation"/>.</summary>
    internal static readonly string[] ContainerKeys =
    [
        "build", "cap_add", "cap_drop", "configs", "container_name", "devices", "dns", "dns_search", "domainname", "expose", "extra_hosts",
        "group_add", "hostname", "init", "ipc", "logging", "mac_address", "networks", "oom_score_adj", "pid", "platform",
        "post_start", "pre_stop", "privileged", "read_only", "runtime", "secrets", "security_opt", "shm_size", "stdin_open", "stop_signal", "sysctls",
        "tmpfs", "tty", "ulimits", "user",
    ];

    private static readonly string[] RestartValues = ["no", "always", "on-failure", "unless-stopped"];
    private static readonly string[] LoggingKeys = ["driver", "options"];
    private static readonly string[] UlimitKeys = ["soft", "hard"];
    private static readonly string[] DeviceKeys = ["source", "target", "permissions"];

    /// <summary>
    /// Keys about an image or what Docker does around it, beyond <see cref="ContainerKeys"/>, which host processes cannot honour
    /// either: a process is started from <c>command</c>, binds the ports and reads the paths it names itself, and carries no labels.
    /// </summary>
    internal static readonly string[] ImageKeys = ["image", "labels", "network_mode", "ports", "pull_policy", "volumes"];

    private void RecordImageKeys(string service, MappingNode map)
    {
        List<(string Key, SourceLocation Location)>? sites = null;
        foreach (var key in ImageKeys)
        {
            if (map.KeyNode(key) is { } keyNode)
            {
                (sites ??= []).Add((key, keyNode.Location));
            }
        }

        if (map["deploy"] is MappingNode deploy && deploy.KeyNode("resources") is { } resources)
        {
            (sites ??= []).Add(("deploy.resources", resources.Location));
        }

        if (sites is not null)
        {
            context.ImageKeySites[service] = sites;
        }
    }

    private ContainerOptions ReadContainer(string service, MappingNode map, int replicas)
    {
        List<(string Key, SourceLocation Location)>? sites = null;
        foreach (var key in ContainerKeys)
        {
            // The runtime: mapping is Nanokit's deprecated provider options, not Compose's OCI runtime.
            if (map.KeyNode(key) is { } keyNode && !(key == "runtime" && map[key] is MappingNode))
            {
                (sites ??= []).Add((key, keyNode.Location));
            }
        }

        if (sites is null)
        {
            return ContainerOptions.None;
        }

        context.ContainerKeySites[service] = sites;
        var containerName = Text(map, "container_name");
        if (containerName is not null && map["container_name"] is { } nameNode)
        {
            if (!ContainerName().IsMatch(containerName))
            {
                reader.Error(nameNode, $"container_name: \"{containerName}\" is not a valid container name (letters, digits, '_', '.', '-', starting with a letter or digit)");
            }
            else if (replicas > 1)
            {
                reader.Error(nameNode, $"container_name: service \"{service}\" has {replicas} replicas, and a container name can be used by one only");
            }
        }

        return new ContainerOptions
        {
            ContainerName = containerName,
            Hostname = Text(map, "hostname"),
            Domainname = Text(map, "domainname"),
            User = Text(map, "user"),
            Platform = Text(map, "platform"),
            OciRuntime = map["runtime"] is ScalarNode ? Text(map, "runtime") : null,
            StopSignal = Text(map, "stop_signal"),
            Pid = Text(map, "pid"),
            Ipc = Text(map, "ipc"),
            MacAddress = Text(map, "mac_address"),
            StdinOpen = Flag(map, "stdin_open"),
            Tty = Flag(map, "tty"),
            Privileged = Flag(map, "privileged"),
            ReadOnly = Flag(map, "read_only"),
            Init = map["init"] is { } init ? reader.Bool(init, "init") : null,
            ShmSize = map["shm_size"] is { } shm ? Bytes(shm, "shm_size") : null,
            OomScoreAdj = map["oom_score_adj"] is { } oom ? OomScore(oom) : null,
            CapAdd = Strings(map, "cap_add", allowSingle: false),
            CapDrop = Strings(map, "cap_drop", allowSingle: false),
            Dns = Strings(map, "dns", allowSingle: true),
            DnsSearch = Strings(map, "dns_search", allowSingle: true),
            SecurityOpt = Strings(map, "security_opt", allowSingle: false),
            GroupAdd = Strings(map, "group_add", allowSingle: false),
            Expose = map["expose"] is { } expose ? ReadExpose(expose) : [],
            Tmpfs = Strings(map, "tmpfs", allowSingle: true),
            Devices = map["devices"] is { } devices ? ReadDevices(devices) : [],
            ExtraHosts = map["extra_hosts"] is { } hosts ? ReadExtraHosts(hosts) : [],
            Sysctls = map["sysctls"] is { } sysctls ? ReadStringMap(sysctls, "sysctls") : ImmutableSortedDictionary<string, string>.Empty,
            Ulimits = map["ulimits"] is { } ulimits ? ReadUlimits(ulimits) : ImmutableSortedDictionary<string, Ulimit>.Empty,
            Logging = map["logging"] is { } logging ? ReadLogging(logging) : null,
            PostStart = ReadLifecycleHooks(service, map, "post_start"),
            PreStop = ReadLifecycleHooks(service, map, "pre_stop"),
        };
    }

    private string? Text(MappingNode map, string key) => map[key] is { } node ? reader.String(node, key) : null;

    private bool Flag(MappingNode map, string key) => map[key] is { } node && reader.Bool(node, key) == true;

    private ImmutableArray<string> Strings(MappingNode map, string key, bool allowSingle) =>
        map[key] is { } node ? reader.StringList(node, key, allowSingle) : [];

    private int? OomScore(ConfigNode node)
    {
        var value = reader.Int(node, "oom_score_adj");
        if (value is < -1000 or > 1000)
        {
            reader.Error(node, $"oom_score_adj must be between -1000 and 1000, got {value}");
            return null;
        }

        return value;
    }

    // Compose's expose: "PORT[-PORT][/PROTOCOL]", a number or a string.
    private ImmutableArray<string> ReadExpose(ConfigNode node)
    {
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var entry in reader.StringList(node, "expose", allowSingle: false))
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var ports = slash < 0 ? entry : entry[..slash];
            var protocol = slash < 0 ? "tcp" : entry[(slash + 1)..];
            var bounds = ports.Split('-');
            if (bounds.Length > 2 || protocol is not ("tcp" or "udp" or "sctp")
                || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535))
            {
                reader.Error(node, $"expose: \"{entry}\" is not a port, a port range or either with /tcp, /udp or /sctp");
                continue;
            }

            result.Add(ports + "/" + protocol);
        }

        return result.ToImmutable();
    }

    // Short syntax HOST[:CONTAINER[:PERMISSIONS]], or the long syntax's source/target/permissions.
    private ImmutableArray<string> ReadDevices(ConfigNode node)
    {
        if (node is not SequenceNode seq)
        {
            reader.Error(node, $"devices: expected a sequence, got {node.KindName}");
            return [];
        }

        var result = ImmutableArray.CreateBuilder<string>(seq.Items.Length);
        foreach (var item in seq.Items)
        {
            if (item is MappingNode m)
            {
                reader.CheckKeys(m, "in a devices entry", DeviceKeys);
                var source = m["source"] is { } s ? reader.String(s, "devices.source") : null;
                if (source is null)
                {
                    reader.Error(m, "devices entry: \"source\" is required");
                    continue;
                }

                var target = m["target"] is { } t ? reader.String(t, "devices.target") : null;
                var permissions = m["permissions"] is { } p ? reader.String(p, "devices.permissions") : null;
                result.Add(source + ":" + (target ?? source) + (permissions is null ? "" : ":" + permissions));
            }
            else if (reader.String(item, "devices") is { } text)
            {
                var parts = text.Split(':');
                if (parts.Length > 3 || parts.Any(p => p.Length == 0))
                {
                    reader.Error(item, $"devices: \"{text}\" is not HOST[:CONTAINER[:PERMISSIONS]]");
                    continue;
                }

                result.Add(parts.Length == 1 ? text + ":" + text : text);
            }
        }

        return result.ToImmutable();
    }

    // A list of "HOST:IP" or "HOST=IP", or a mapping HOST: IP (or a list of IPs): one HOST:IP entry each, as Compose writes them.
    private ImmutableArray<string> ReadExtraHosts(ConfigNode node)
    {
        var result = ImmutableArray.CreateBuilder<string>();
        if (node is MappingNode map)
        {
            foreach (var (host, value) in map.Entries)
            {
                foreach (var ip in reader.StringList(value, $"extra_hosts.{host.Value}", allowSingle: true))
                {
                    result.Add(host.Value + ":" + ip);
                }
            }

            return result.ToImmutable();
        }

        foreach (var entry in reader.StringList(node, "extra_hosts", allowSingle: false))
        {
            var cut = entry.IndexOfAny(['=', ':']);
            if (cut <= 0 || cut == entry.Length - 1)
            {
                reader.Error(node, $"extra_hosts: \"{entry}\" is not HOST:IP or HOST=IP");
                continue;
            }

            result.Add(entry[..cut] + ":" + entry[(cut + 1)..]);
        }

        return result.ToImmutable();
    }

    private ImmutableSortedDictionary<string, string> ReadStringMap(ConfigNode node, string what)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (Merge.AsMapping(node, '=') is not { } map)
        {
            reader.Error(node, $"{what}: expected a mapping or a list of KEY=VALUE strings, got {node.KindName}");
            return result.ToImmutable();
        }

        foreach (var (key, value) in map.Entries)
        {
            if (reader.String(value, $"{what}.{key.Value}") is { } text)
            {
                result[key.Value] = text;
            }
            else if (value is ScalarNode { IsNull: true })
            {
                reader.Error(value, $"{what}.{key.Value}: a value is required");
            }
        }

        return result.ToImmutable();
    }

    private ImmutableSortedDictionary<string, Ulimit> ReadUlimits(ConfigNode node)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, Ulimit>(StringComparer.Ordinal);
        if (reader.Mapping(node, "ulimits") is not { } map)
        {
            return result.ToImmutable();
        }

        foreach (var (name, value) in map.Entries)
        {
            if (value is MappingNode limits)
            {
                reader.CheckKeys(limits, $"in ulimits.{name.Value}", UlimitKeys);
                var soft = limits["soft"] is { } s ? Long(s, $"ulimits.{name.Value}.soft") : null;
                var hard = limits["hard"] is { } h ? Long(h, $"ulimits.{name.Value}.hard") : null;
                if (soft is null || hard is null)
                {
                    reader.Error(limits, $"ulimits.{name.Value}: both soft and hard are required");
                    continue;
                }

                if (soft > hard)
                {
                    reader.Error(limits, $"ulimits.{name.Value}: soft ({soft}) is above hard ({hard})");
                }

                result[name.Value] = new Ulimit(soft.Value, hard.Value);
            }
            else if (Long(value, $"ulimits.{name.Value}") is { } both)
            {
                result[name.Value] = new Ulimit(both, both);
            }
        }

        return result.ToImmutable();
    }

    private long? Long(ConfigNode node, string what)
    {
        if (node is ScalarNode { IsNull: false } s && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        reader.Error(node, $"{what}: expected an integer, got {NodeReader.Describe(node)}");
        return null;
    }

    private LoggingSpec? ReadLogging(ConfigNode node)
    {
        if (reader.Mapping(node, "logging") is not { } map)
        {
            return null;
        }

        reader.CheckKeys(map, "in logging", LoggingKeys);
        var driver = Text(map, "driver");
        var options = map["options"] is { } o ? ReadStringMap(o, "logging.options") : ImmutableSortedDictionary<string, string>.Empty;
        return new LoggingSpec(driver, options);
    }

    // restart, overridden by deploy.restart_policy when both are given (as docker compose does).
    private (RestartMode? Mode, int? Attempts) ReadRestart(MappingNode map)
    {
        if (map["restart"] is not { } node || reader.String(node, "restart") is not { } text)
        {
            return (null, null);
        }

        switch (text.Split(':', 2))
        {
            case ["no" or "false"]:
                return (RestartMode.No, null);
            case ["always"]:
                return (RestartMode.Always, null);
            case ["unless-stopped"]:
                return (RestartMode.UnlessStopped, null);
            case ["on-failure"]:
                return (RestartMode.OnFailure, null);
            case ["on-failure", var count]:
                if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var attempts))
                {
                    reader.Error(node, $"restart: \"{text}\": the count after on-failure: must be a whole number of attempts (on-failure:3)");
                    return (RestartMode.OnFailure, null);
                }

                return (RestartMode.OnFailure, attempts);
            default:
                return (Invalid(node, "restart", text, RestartValues, RestartMode.No), null);
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex ContainerName();
}
