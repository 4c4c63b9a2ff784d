using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>Reads the merged top level (name, runtime, drift, volumes, services) into a <see cref="ProjectSpec"/>.</summary>
internal sealed partial class ProjectReader(NodeReader reader, LoadContext context)
{
    internal static readonly string[] Keys = ["name", "services", "runtime", "drift", "environments", "volumes", "version", "networks", "secrets", "configs"];
    private static readonly HashSet<string> UnsupportedKeys = ["models"];
    private static readonly string[] DriftKeys = ["interval", "heal"];
    private static readonly string[] Runtimes = ["local", "docker", "kubernetes"];

    public ImmutableHashSet<string> DeclaredVolumes { get; private set; } = [];

    /// <summary>Returns the project (possibly partial when errors were recorded) with <paramref name="name"/> already resolved.</summary>
    public ProjectSpec? Read(MappingNode root, string name)
    {
        reader.CheckKeys(root, "at the top level", Keys, UnsupportedKeys);
        RuntimeKind? runtime = null;
        if (root["runtime"] is { } runtimeNode && reader.String(runtimeNode, "runtime") is { } runtimeText)
        {
            runtime = runtimeText switch
            {
                "local" => RuntimeKind.Local,
                "docker" => RuntimeKind.Docker,
                "kubernetes" => RuntimeKind.Kubernetes,
                _ => Invalid(runtimeNode, runtimeText),
            };
        }

        var drift = root["drift"] is { } driftNode ? ReadDrift(driftNode) : DriftSettings.Default;
        var volumeSizes = ImmutableSortedDictionary<string, string>.Empty;
        if (root["volumes"] is { } volumes)
        {
            (DeclaredVolumes, volumeSizes) = ReadVolumeDeclarations(volumes, runtime);
        }

        var services = ImmutableSortedDictionary.CreateBuilder<string, ServiceSpec>(StringComparer.Ordinal);
        var servicesNode = root["services"];
        if (servicesNode is ScalarNode { IsNull: true } or MappingNode { Entries.Length: 0 })
        {
            NoServices(servicesNode, "services: is empty; a project needs at least one service (to remove a deployed project, run nkapp down)");
        }
        else if (servicesNode is null)
        {
            NoServices(root, "there is no services: section; a project needs at least one service (to remove a deployed project, run nkapp down)");
        }
        else if (reader.Mapping(servicesNode, "services") is { } servicesMap)
        {
            ReadServices(root.KeyNode("services")!, servicesMap, services);
        }

        if (!volumeSizes.IsEmpty)
        {
            foreach (var (serviceName, service) in services.ToList())
            {
                services[serviceName] = service with { Volumes = [.. service.Volumes.Select(v => v.Type == "volume" && v.Source is { } source && volumeSizes.TryGetValue(source, out var size) ? v with { Size = size } : v)] };
            }
        }

        var networks = root["networks"] is { } networksNode ? ReadNetworks(networksNode) : ImmutableSortedDictionary<string, NetworkSpec>.Empty;
        var secrets = root["secrets"] is { } secretsNode ? ReadFileSources(secretsNode, "secrets") : ImmutableSortedDictionary<string, FileSource>.Empty;
        var configs = root["configs"] is { } configsNode ? ReadFileSources(configsNode, "configs") : ImmutableSortedDictionary<string, FileSource>.Empty;

        // As Compose: a file whose every service names an image runs them as containers. A service without one is
        // Nanokit's command form, which only the local runtime runs, so such a project stays local processes.
        var built = services.ToImmutable();
        var choice = runtime is not null ? RuntimeChoice.Declared
            : built.Count > 0 && built.Values.All(s => s.Image is not null || s.Build is not null) ? RuntimeChoice.DefaultForImages : RuntimeChoice.DefaultForCommands;
        return new ProjectSpec(name, runtime ?? (choice == RuntimeChoice.DefaultForImages ? RuntimeKind.Docker : RuntimeKind.Local), drift, built, context.ProjectDirectory)
        {
            RuntimeChoice = choice,
            Networks = networks,
            Secrets = secrets,
            Configs = configs,
        };
    }

    private void NoServices(ConfigNode at, string message)
    {
        if (!context.AllowNoServices)
        {
            reader.Error(at, message);
        }
    }

    // The limits are checked as the services are read, so a project over them stops costing memory where it crosses them.
    private void ReadServices(ScalarNode key, MappingNode servicesMap, ImmutableSortedDictionary<string, ServiceSpec>.Builder services)
    {
        var limits = context.Limits;
        if (servicesMap.Entries.Length > limits.Services)
        {
            reader.Error(key, $"{servicesMap.Entries.Length} services; a project may define at most {limits.Services}");
            return;
        }

        var serviceReader = new ServiceReader(reader, context);
        long replicas = 0;
        long variables = 0;
        foreach (var (name, value) in servicesMap.Entries)
        {
            if (serviceReader.Read(name, value) is not { } service)
            {
                continue;
            }

            services[name.Value] = service;
            replicas += service.Replicas;
            variables += service.Environment.Count;
            if (replicas > limits.Replicas)
            {
                reader.Error(name, $"service \"{name.Value}\" brings the replicas of the project to {replicas}; a project may run at most {limits.Replicas}");
                return;
            }

            if (variables > limits.ProjectEnvironmentEntries)
            {
                reader.Error(name, $"service \"{name.Value}\" brings the environment variables of the project to {variables}; a project may set at most {limits.ProjectEnvironmentEntries}");
                return;
            }

            if (context.PublishedPorts > limits.PublishedPorts)
            {
                return;
            }
        }
    }

    private RuntimeKind Invalid(ConfigNode node, string text)
    {
        var hint = Suggest.Closest(text, Runtimes);
        reader.Error(node, "invalid runtime: use local, docker or kubernetes" + (hint is null ? "" : $"; did you mean \"{hint}\"?"));
        return RuntimeKind.Local;
    }

    private DriftSettings ReadDrift(ConfigNode node)
    {
        if (reader.Mapping(node, "drift") is not { } map)
        {
            return DriftSettings.Default;
        }

        reader.CheckKeys(map, "in drift", DriftKeys);
        var interval = map["interval"] is { } i ? reader.Duration(i, "drift.interval") ?? DriftSettings.Default.Interval : DriftSettings.Default.Interval;
        if (interval <= TimeSpan.Zero)
        {
            reader.Error(map["interval"]!, "drift.interval must be greater than zero");
        }

        var heal = map["heal"] is { } h ? reader.Bool(h, "drift.heal") ?? DriftSettings.Default.Heal : DriftSettings.Default.Heal;
        return new DriftSettings(interval, heal);
    }

    // Named volumes must be declared, as Compose requires. Their options (driver, external…) are not supported yet, but
    // for runtime kubernetes's driver_opts.size: a claim must request a size, and Compose has no other key for one.
    private (ImmutableHashSet<string> Names, ImmutableSortedDictionary<string, string> Sizes) ReadVolumeDeclarations(ConfigNode node, RuntimeKind? runtime)
    {
        var sizes = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (reader.Mapping(node, "volumes") is not { } map)
        {
            return ([], sizes.ToImmutable());
        }

        foreach (var (key, value) in map.Entries)
        {
            if (value is MappingNode { Entries.Length: > 0 } options && runtime == RuntimeKind.Kubernetes)
            {
                if (ClaimSize(key.Value, options) is { } size)
                {
                    sizes[key.Value] = size;
                }
            }
            else if (value is MappingNode { Entries.Length: > 0 } refused)
            {
                reader.Error(refused.Entries[0].Key, $"volume \"{key.Value}\": options (driver, external, name…) are not supported by nanokit yet");
            }
            else if (value is not MappingNode and not ScalarNode { IsNull: true })
            {
                reader.Error(value, $"volume \"{key.Value}\": expected a mapping or nothing, got {value.KindName}");
            }
        }

        return (map.Entries.Select(e => e.Key.Value).ToImmutableHashSet(StringComparer.Ordinal), sizes.ToImmutable());
    }

    /// <summary>A kubernetes volume's <c>driver_opts.size</c>; every other option is a located error.</summary>
    private string? ClaimSize(string volume, MappingNode options)
    {
        string? size = null;
        foreach (var (option, value) in options.Entries)
        {
            if (option.Value != "driver_opts")
            {
                reader.Error(option, $"volume \"{volume}\": runtime kubernetes makes a volume a PersistentVolumeClaim and reads only driver_opts.size (its storage request); {option.Value} is not supported");
            }
            else if (reader.Mapping(value, $"volume \"{volume}\": driver_opts") is { } driverOpts)
            {
                foreach (var (name, text) in driverOpts.Entries)
                {
                    if (name.Value != "size")
                    {
                        reader.Error(name, $"volume \"{volume}\": runtime kubernetes reads only driver_opts.size (the claim's storage request); driver_opts.{name.Value} is not supported");
                    }
                    else if (reader.String(text, $"volume \"{volume}\": driver_opts.size") is { } quantity)
                    {
                        size = StorageQuantity.TryParse(quantity, out _) ? quantity
                            : Refused(text, $"volume \"{volume}\": driver_opts.size \"{quantity}\" is not a Kubernetes quantity greater than zero (such as 5Gi, 500Mi or 1G)");
                    }
                }
            }
        }

        return size;
    }

    private string? Refused(ConfigNode node, string message)
    {
        reader.Error(node, message);
        return null;
    }

    /// <summary>Compose's rule for a project name taken from a directory: lowercase, keep only [a-z0-9_-], start with a letter or digit.</summary>
    internal static string NormaliseName(string raw)
    {
        var chars = raw.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-').ToArray();
        return new string(chars).TrimStart('_', '-');
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    internal static partial Regex ProjectName();

    internal static SourceLocation At(ConfigNode? node, string fallbackFile) => node?.Location ?? new SourceLocation(fallbackFile, 1, 1);
}
