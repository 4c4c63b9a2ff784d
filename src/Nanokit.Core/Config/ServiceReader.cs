using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Reads one merged, interpolated service mapping into a <see cref="ServiceSpec"/>, reporting every problem.
/// Compose service keys nanokit does not implement (build, networks, restart, user…) are errors rather than
/// silently ignored: each would change what runs, and a user must know it is not honoured.
/// </summary>
internal sealed partial class ServiceReader(NodeReader reader, LoadContext context)
{
    internal static readonly string[] Keys =
    [
        "image", "command", "entrypoint", "working_dir", "environment", "env_file", "ports", "volumes", "labels",
        "depends_on", "healthcheck", "deploy", "scale", "profiles", "stop_grace_period", "hooks", "runtime", "secret_env",
        "pull_policy", "network_mode", "restart", ProviderOptionsKey, .. ContainerKeys,
    ];

    /// <summary>Nanokit's per-service provider options; an <c>x-</c> key, so Compose tools accept a file that uses it.</summary>
    internal const string ProviderOptionsKey = "x-nanokit-runtime";

    internal static readonly HashSet<string> UnsupportedComposeKeys =
    [
        "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent",
        "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime",
        "cpu_shares", "cpus", "cpuset", "credential_spec", "develop", "device_cgroup_rules",
        "dns_opt", "external_links", "gpus",
        "isolation", "links", "mem_limit",
        "mem_reservation", "mem_swappiness", "memswap_limit", "oom_kill_disable",
        "pids_limit", "provider",
        "storage_opt", "userns_mode", "uts", "volumes_from",
    ];

    private static readonly string[] HealthcheckKeys = ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"];
        private static readonly string[] DeployKeys = ["replicas", "resources", "update_config", "restart_policy"];
    private static readonly HashSet<string> DeployUnsupported = ["mode", "endpoint_mode", "labels", "placement", "rollback_config"];
    private static readonly string[] DependsOnKeys = ["condition", "required", "restart"];
    private static readonly string[] Conditions = ["service_started", "service_healthy", "service_completed_successfully"];
    private static readonly string[] HookKeys = ["prestart", "poststart", "prestop"];
    private static readonly string[] HookMappingKeys = ["command", "run_on", "timeout"];
    private static readonly string[] EnvFileKeys = ["path", "required", "format"];
    internal static readonly TimeSpan DefaultHookTimeout = TimeSpan.FromSeconds(60);
    private static readonly FrozenSet<string> KeySet = Keys.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The model's defaults for keys a service leaves out.</summary>
    private static readonly ServiceSpec Defaults = new() { Name = "" };

    // One builder of each kind serves every service (ToImmutable freezes what it built, Clear starts afresh), which
    // spares a large project several builders per service.
    private readonly ImmutableSortedDictionary<string, string?>.Builder _environment = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
    private readonly ImmutableSortedSet<string>.Builder _secrets = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
    private readonly ImmutableSortedDictionary<string, string>.Builder _labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
    private readonly ImmutableSortedDictionary<string, Dependency>.Builder _dependencies = ImmutableSortedDictionary.CreateBuilder<string, Dependency>(StringComparer.Ordinal);

    public ServiceSpec? Read(ScalarNode nameNode, ConfigNode node)
    {
        var name = nameNode.Value;
        if (!ServiceName().IsMatch(name))
        {
            reader.Error(nameNode, $"invalid service name \"{name}\": use letters, digits, '.', '_' and '-', starting with a letter or digit");
        }

        // Messages naming the service are only formatted when there is something to report: this runs once per service.
        if (node is not MappingNode map)
        {
            reader.Mapping(node, $"service \"{name}\"");
            return null;
        }

        if (!NodeReader.AllKnown(map, KeySet))
        {
            reader.CheckKeys(map, $"in service \"{name}\"", Keys, UnsupportedComposeKeys);
        }

        RecordImageKeys(name, map);

        // Read in a fixed order (errors at one location keep their order) and build the record once.
        var image = map["image"] is { } imageNode ? reader.String(imageNode, "image") : null;
        var build = map["build"] is { } buildNode ? ReadBuild(name, buildNode) : null;
        var command = map["command"] is { } commandNode ? reader.Command(commandNode, "command") : null;
        var entrypoint = map["entrypoint"] is { } entrypointNode ? reader.Command(entrypointNode, "entrypoint") : null;
        var workingDir = map["working_dir"] is { } workingDirNode ? reader.String(workingDirNode, "working_dir") : null;
        var environment = ReadEnvironment(map);
        var secrets = Secrets(map, environment);
        var labels = map["labels"] is { } labelsNode ? ReadLabels(labelsNode) : Defaults.Labels;
        var ports = map["ports"] is { } portsNode ? ReadPorts(name, portsNode) : Defaults.Ports;
        var volumes = map["volumes"] is { } volumesNode ? ReadVolumes(name, volumesNode) : Defaults.Volumes;
        var dependsOn = map["depends_on"] is { } dependsOnNode ? ReadDependsOn(dependsOnNode) : Defaults.DependsOn;
        var healthcheck = map["healthcheck"] is { } healthcheckNode ? ReadHealthcheck(healthcheckNode) : null;
        var replicas = ReadReplicas(map);
        var (limits, reservations, update) = map["deploy"] is MappingNode deployMap ? ReadDeploy(name, deployMap, ports) : (null, null, Defaults.Update);
        var restart = ReadRestart(map);
        var restartDelay = TimeSpan.Zero;
        if (map["deploy"] is MappingNode { } deployPolicy && deployPolicy["restart_policy"] is { } policyNode && ReadRestartPolicy(policyNode) is { } policy)
        {
            restart = (policy.Mode, policy.Attempts);
            restartDelay = policy.Delay;
        }

        var networkMode = map["network_mode"] is { } networkNode ? ReadNetworkMode(networkNode) : null;
        var container = ReadContainer(name, map, replicas);
        var networks = map["networks"] is { } networksNode ? ReadNetworks(name, networksNode) : Defaults.Networks;
        if (networks.Count > 0 && networkMode is not null)
        {
            reader.Error(map.KeyNode("networks")!, $"service \"{name}\": networks and network_mode cannot both be set");
        }

        var secretGrants = map["secrets"] is { } secretsNode ? ReadGrants(name, secretsNode, "secrets") : Defaults.Secrets;
        var configGrants = map["configs"] is { } configsNode ? ReadGrants(name, configsNode, "configs") : Defaults.Configs;
        var pullPolicy = map["pull_policy"] is { } pullNode ? ReadPullPolicy(pullNode) : Defaults.PullPolicy;
        var profiles = map["profiles"] is { } profilesNode ? ReadProfiles(profilesNode) : Defaults.Profiles;
        var hooks = map["hooks"] is { } hooksNode ? ReadHooks(name, hooksNode) : Defaults.Hooks;
        CheckProviderOptions(name, map);
        var stopGracePeriod = map["stop_grace_period"] is { } grace ? reader.Duration(grace, "stop_grace_period") : null;
        return new ServiceSpec
        {
            Name = name,
            Location = nameNode.Location,
            Image = image,
            Build = build,
            Command = command,
            Entrypoint = entrypoint,
            WorkingDir = workingDir,
            Environment = environment,
            SecretEnvironment = secrets,
            Labels = labels,
            Ports = ports,
            Volumes = volumes,
            DependsOn = dependsOn,
            Healthcheck = healthcheck,
            Replicas = replicas,
            Profiles = profiles,
            Hooks = hooks,
            StopGracePeriod = stopGracePeriod ?? Defaults.StopGracePeriod,
            PullPolicy = pullPolicy,
            NetworkMode = networkMode,
            Limits = limits,
            Reservations = reservations,
            Update = update,
            Restart = restart.Mode,
            RestartAttempts = restart.Attempts,
            RestartDelay = restartDelay,
            Container = container,
            Networks = networks,
            Secrets = secretGrants,
            Configs = configGrants,
        };
    }

    private ImmutableSortedDictionary<string, string?> ReadEnvironment(MappingNode map)
    {
        var result = _environment;
        result.Clear();
        if (map["env_file"] is { } envFile)
        {
            ReadEnvFiles(envFile, result);
        }

        if (map["environment"] is { } node)
        {
            ReadEnvironmentEntries(node, result);
        }

        if (result.Count > context.Limits.EnvironmentEntries)
        {
            reader.Error(map.KeyNode("environment") ?? map.KeyNode("env_file")!,
                $"{result.Count} environment variables; a service may have at most {context.Limits.EnvironmentEntries}");
        }

        return result.ToImmutable();
    }

    private void ReadEnvironmentEntries(ConfigNode node, ImmutableSortedDictionary<string, string?>.Builder into)
    {
        var env = Merge.AsMapping(node, '=');
        if (env is null)
        {
            reader.Error(node, node is SequenceNode
                ? "environment: expected a list of KEY=VALUE strings"
                : $"environment: expected a mapping or a sequence, got {node.KindName}");
            return;
        }

        foreach (var (key, value) in env.Entries)
        {
            if (VariableName.Problem(key.Value) is { } problem)
            {
                reader.Error(key, "environment: " + problem);
                continue;
            }

            if (value is not ScalarNode s)
            {
                reader.Error(value, $"environment.{key.Value}: expected a string, number, boolean or null, got {value.KindName}");
                continue;
            }

            into[key.Value] = s.IsNull ? null : s.Value;
        }
    }

    private void ReadEnvFiles(ConfigNode node, ImmutableSortedDictionary<string, string?>.Builder into)
    {
        IEnumerable<ConfigNode> entries = node is SequenceNode seq ? seq.Items : [node];
        foreach (var entry in entries)
        {
            string? path;
            var required = true;
            if (entry is MappingNode m)
            {
                reader.CheckKeys(m, "in an env_file entry", EnvFileKeys);
                path = m["path"] is { } p ? reader.String(p, "env_file.path") : null;
                if (m["required"] is { } r)
                {
                    required = reader.Bool(r, "env_file.required") ?? true;
                }

                if (path is null)
                {
                    reader.Error(m, "env_file entry: \"path\" is required");
                    continue;
                }
            }
            else
            {
                path = reader.String(entry, "env_file");
                if (path is null)
                {
                    continue;
                }
            }

            var full = Path.GetFullPath(path, context.ProjectDirectory);
            var (variables, problem) = context.EnvFile(full, reader.Errors);
            if (problem is not null)
            {
                reader.Error(entry, $"env_file \"{path}\" (resolved to {full}): {problem}");
            }
            else if (variables is null)
            {
                if (required)
                {
                    reader.Error(entry, $"env_file \"{path}\" not found (resolved to {full}); mark it required: false if it is optional");
                }
            }
            else
            {
                foreach (var (key, value) in variables)
                {
                    into[key] = value;
                }
            }
        }
    }

    private ImmutableSortedSet<string> Secrets(MappingNode map, ImmutableSortedDictionary<string, string?> environment)
    {
        var result = _secrets;
        result.Clear();
        if (map["secret_env"] is { } declared)
        {
            result.UnionWith(reader.StringList(declared, "secret_env", allowSingle: false));
        }

        foreach (var (key, _) in environment)
        {
            if (IsSecretName(key))
            {
                result.Add(key);
            }
        }

        return result.ToImmutable();
    }

    internal static bool IsSecretName(string name) =>
        name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || name.Contains("TOKEN", StringComparison.OrdinalIgnoreCase)
        || name.Contains("SECRET", StringComparison.OrdinalIgnoreCase) || name.Contains("KEY", StringComparison.OrdinalIgnoreCase);

    private ImmutableSortedDictionary<string, string> ReadLabels(ConfigNode node)
    {
        var result = _labels;
        result.Clear();
        var labels = Merge.AsMapping(node, '=');
        if (labels is null)
        {
            reader.Error(node, $"labels: expected a mapping or a list of KEY=VALUE strings, got {node.KindName}");
            return result.ToImmutable();
        }

        foreach (var (key, value) in labels.Entries)
        {
            result[key.Value] = (value is ScalarNode s ? (s.IsNull ? null : s.Value) : reader.String(value, $"labels.{key.Value}")) ?? "";
        }

        return result.ToImmutable();
    }

    private ImmutableArray<PortMapping> ReadPorts(string serviceName, ConfigNode node)
    {
        if (node is not SequenceNode seq)
        {
            reader.Error(node, $"ports: expected a sequence, got {node.KindName}");
            return [];
        }

        var all = new List<PortMapping>();
        var sites = new List<(PortMapping, Diagnostics.SourceLocation)>();
        var limit = context.Limits.PublishedPorts;
        foreach (var item in seq.Items)
        {
            var before = all.Count;
            Ports.Read(item, reader, all);
            for (var i = before; i < all.Count; i++)
            {
                sites.Add((all[i], item.Location));
            }

            // A range expands to one mapping per port, so a few short entries can ask for millions of them.
            if (context.PublishedPorts + all.Count > limit)
            {
                reader.Error(item, $"ports: with ranges expanded, the project publishes more than {limit} ports, the most it may");
                break;
            }
        }

        context.PublishedPorts += all.Count;
        context.PortSites[serviceName] = sites;

        // Ports are unique by {ip, published, target, protocol} (Compose merge rules): identical entries collapse.
        return [.. all.Distinct()];
    }

    private ImmutableArray<VolumeMount> ReadVolumes(string service, ConfigNode node)
    {
        if (node is not SequenceNode seq)
        {
            reader.Error(node, $"volumes: expected a sequence, got {node.KindName}");
            return [];
        }

        // Volumes are unique by target; a later entry (an override file) replaces an earlier one in place.
        var byTarget = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<VolumeMount>();
        foreach (var item in seq.Items)
        {
            if (Volumes.Read(item, reader, context.ProjectDirectory, context.Variables) is not { } mount)
            {
                continue;
            }

            if (mount.Type == "volume" && mount.Source is not null)
            {
                context.NamedVolumeUses.Add((mount.Source, item));
            }

            if (mount.Type == "bind")
            {
                context.BindMountSites.Add((service, item.Location));
            }

            if (byTarget.TryGetValue(mount.Target, out var at))
            {
                result[at] = mount;
            }
            else
            {
                byTarget[mount.Target] = result.Count;
                result.Add(mount);
            }
        }

        return [.. result];
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]*$")]
    internal static partial Regex ServiceName();
}
