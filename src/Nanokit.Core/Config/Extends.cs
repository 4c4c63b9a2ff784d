using System.Collections.Immutable;

namespace Nanokit.Core.Config;

/// <summary>
/// Resolves service-level <c>extends</c> as the Compose specification defines it: the referenced service (in the same
/// model, or in <c>file</c>, relative to the file that names it) is itself resolved first, then the extending service
/// is merged over it with the Compose merge rules (<see cref="Merge.Service"/>). Paths of a service taken from a file in
/// another directory are made absolute against that directory. A chain is walked depth-first with the path kept,
/// so a cycle is reported as <c>cycle: a -> b -> a</c>, and its length is bounded by <see cref="LoadLimits.ExtendsDepth"/>.
/// </summary>
internal sealed class Extends(NodeReader reader, ReferencedFiles files, LoadLimits limits, Func<string, string?> lookup)
{
    private static readonly string[] ExtendsKeys = ["service", "file"];

    // Keyed by (full path of the file, or "" for the model being loaded; service name); null marks a failure already reported.
    private readonly Dictionary<(string File, string Service), MappingNode?> _resolved = [];
    private readonly Dictionary<string, MappingNode?> _fileServices = new(StringComparer.Ordinal);
    private readonly List<(string File, string Service)> _chain = [];

    // How many services each resolved one stands on; bounds a chain whatever order its services are resolved in.
    private readonly Dictionary<(string File, string Service), int> _depth = [];

    /// <summary>The model with every service's <c>extends</c> resolved; <paramref name="directory"/> is where its relative paths resolve.</summary>
    public MappingNode Apply(MappingNode root, string fileKey, string directory)
    {
        if (root["services"] is not MappingNode services || !services.Entries.Any(e => e.Value is MappingNode m && m.ContainsKey("extends")))
        {
            return root;
        }

        var entries = ImmutableArray.CreateBuilder<KeyValuePair<ScalarNode, ConfigNode>>(services.Entries.Length);
        foreach (var (key, value) in services.Entries)
        {
            entries.Add(new(key, value is MappingNode m ? Resolve(fileKey, directory, services, key.Value, m) ?? Without(m, "extends") : value));
        }

        return Replace(root, "services", new MappingNode(services.Location, entries.MoveToImmutable()));
    }

    internal static MappingNode Replace(MappingNode map, string key, ConfigNode value) =>
        new(map.Location, [.. map.Entries.Select(e => e.Key.Value == key ? new KeyValuePair<ScalarNode, ConfigNode>(e.Key, value) : e)]);

    internal static MappingNode Without(MappingNode map, string key) =>
        map.ContainsKey(key) ? new(map.Location, [.. map.Entries.Where(e => e.Key.Value != key)]) : map;

    private MappingNode? Resolve(string fileKey, string directory, MappingNode services, string name, MappingNode service)
    {
        if (service["extends"] is not { } extendsNode)
        {
            return service;
        }

        if (_resolved.TryGetValue((fileKey, name), out var done))
        {
            return done;
        }

        var at = _chain.IndexOf((fileKey, name));
        if (at >= 0)
        {
            var path = _chain.Skip(at).Select(c => c.Service).Append(name);
            reader.Error(extendsNode, $"service \"{name}\": extends: cycle: {string.Join(" -> ", path)}");
            return null;
        }

        if (_chain.Count >= limits.ExtendsDepth)
        {
            reader.Error(extendsNode, $"service \"{name}\": extends: the chain is longer than {limits.ExtendsDepth} services, the most it may be");
            return null;
        }

        _chain.Add((fileKey, name));
        try
        {
            var result = ResolveBase(fileKey, directory, services, name, service, extendsNode);
            _resolved[(fileKey, name)] = result;
            return result;
        }
        finally
        {
            _chain.RemoveAt(_chain.Count - 1);
        }
    }

    private MappingNode? ResolveBase(string fileKey, string directory, MappingNode services, string name, MappingNode service, ConfigNode extendsNode)
    {
        var what = $"service \"{name}\": extends";
        ScalarNode? serviceNode;
        ConfigNode? fileNode = null;
        switch (extendsNode)
        {
            case ScalarNode { IsNull: false } s:
                serviceNode = s;
                break;
            case MappingNode m:
                reader.CheckKeys(m, $"in {what}", ExtendsKeys);
                fileNode = m["file"];
                serviceNode = m["service"] as ScalarNode;
                if (m["service"] is null)
                {
                    reader.Error(m, $"{what}: service is required (the name of the service to extend)");
                    return null;
                }

                if (serviceNode is null or { IsNull: true })
                {
                    reader.Error(m["service"]!, $"{what}.service: expected a service name, got {m["service"]!.KindName}");
                    return null;
                }

                break;
            default:
                reader.Error(extendsNode, $"{what}: expected a mapping (service, file) or a service name, got {extendsNode.KindName}");
                return null;
        }

        var (baseKey, baseDirectory, baseServices) = (fileKey, directory, services);
        var where = "";
        if (fileNode is not null)
        {
            if (reader.String(fileNode, $"{what}.file") is not { } file)
            {
                return null;
            }

            baseKey = Path.GetFullPath(file, directory);
            baseDirectory = Path.GetDirectoryName(baseKey)!;
            if (FileServices(baseKey, fileNode, $"{what}.file \"{file}\"") is not { } fromFile)
            {
                return null;
            }

            baseServices = fromFile;
            where = $" in {file}";
        }

        if (baseServices[serviceNode.Value] is not { } baseNode)
        {
            var hint = Suggest.Closest(serviceNode.Value, baseServices.Entries.Select(e => e.Key.Value)) is { } close ? $"; did you mean \"{close}\"?" : "";
            reader.Error(serviceNode, $"{what}: no service \"{serviceNode.Value}\"{where}{hint}");
            return null;
        }

        if (baseNode is not MappingNode baseMap)
        {
            reader.Error(serviceNode, $"{what}: service \"{serviceNode.Value}\"{where} is {baseNode.KindName}, not a mapping");
            return null;
        }

        if (Resolve(baseKey, baseDirectory, baseServices, serviceNode.Value, baseMap) is not { } resolvedBase)
        {
            return null;
        }

        var depth = _depth.GetValueOrDefault((baseKey, serviceNode.Value)) + 1;
        if (depth > limits.ExtendsDepth)
        {
            reader.Error(extendsNode, $"service \"{name}\": extends: the chain is longer than {limits.ExtendsDepth} services, the most it may be");
            return null;
        }

        _depth[(fileKey, name)] = depth;
        if (baseDirectory != directory)
        {
            resolvedBase = RelativePaths.Service(resolvedBase, baseDirectory);
        }

        var own = Without(service, "extends");
        CheckHealthcheck(name, resolvedBase, own);
        var merged = Merge.Service(resolvedBase, own);
        return new MappingNode(service.Location, merged is MappingNode mm ? mm.Entries : []);
    }

    // The spec: the extending service may set healthcheck.disable: true only when the extended one disables it too.
    private void CheckHealthcheck(string name, MappingNode resolvedBase, MappingNode own)
    {
        if (own["healthcheck"] is MappingNode ownCheck && IsTrue(ownCheck["disable"])
            && resolvedBase["healthcheck"] is MappingNode baseCheck && !IsTrue(baseCheck["disable"]))
        {
            reader.Error(ownCheck["disable"]!, $"service \"{name}\": healthcheck.disable: true cannot override the healthcheck of the extended service (the Compose specification allows it only when that one is disabled too)");
        }
    }

    private static bool IsTrue(ConfigNode? node) => node is ScalarNode { Value: "true" or "True" or "TRUE" };

    private MappingNode? FileServices(string fullPath, ConfigNode fileNode, string what)
    {
        if (!_fileServices.TryGetValue(fullPath, out var services))
        {
            var root = files.Read(fullPath, fileNode, what, lookup);
            services = root?["services"] as MappingNode;
            if (root is not null && services is null)
            {
                reader.Error(fileNode, $"{what}: the file has no services mapping");
            }

            _fileServices[fullPath] = services;
        }

        return services;
    }
}
