using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// The Compose keys beyond Nanokit's first set: container options, restart, networks, secrets, configs, and their top-level sections.
public static partial class ProjectWriter
{
    private static void PutCompose(Map m, ServiceSpec s)
    {
        foreach (var (key, value) in s.Container.Fields())
        {
            m.Put(key, ToTree(value));
        }

        if (s.Restart is { } restart)
        {
            m.Put("restart", restart switch
            {
                RestartMode.Always => "always",
                RestartMode.OnFailure => s.RestartAttempts is { } attempts ? $"on-failure:{attempts.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "on-failure",
                RestartMode.UnlessStopped => "unless-stopped",
                _ => "no",
            });
        }

        if (!s.Networks.IsEmpty)
        {
            var networks = new Map();
            foreach (var (name, network) in s.Networks)
            {
                networks.Put(name, network.Aliases.IsDefaultOrEmpty && network.Ipv4Address is null && network.Ipv6Address is null && network.Priority is null
                    ? null
                    : NetworkAttachment(network));
            }

            m.Put("networks", networks);
        }

        PutGrants(m, "secrets", s.Secrets);
        PutGrants(m, "configs", s.Configs);
    }

    private static Map NetworkAttachment(ServiceNetwork network)
    {
        var map = new Map();
        if (!network.Aliases.IsDefaultOrEmpty)
        {
            map.Put("aliases", network.Aliases.Cast<object?>().ToList());
        }

        Optional(map, "ipv4_address", network.Ipv4Address);
        Optional(map, "ipv6_address", network.Ipv6Address);
        if (network.Priority is { } priority)
        {
            map.Put("priority", priority);
        }

        return map;
    }

    private static void PutGrants(Map m, string key, System.Collections.Immutable.ImmutableArray<FileGrant> grants)
    {
        if (grants.IsDefaultOrEmpty)
        {
            return;
        }

        var list = new List<object?>();
        foreach (var grant in grants)
        {
            var g = new Map { new("source", grant.Source), new("target", grant.Target) };
            Optional(g, "uid", grant.Uid);
            Optional(g, "gid", grant.Gid);
            if (grant.Mode is { } mode)
            {
                g.Put("mode", mode);
            }

            list.Add(g);
        }

        m.Put(key, list);
    }

    private static void PutTopLevel(Map root, ProjectSpec project)
    {
        if (!project.Networks.IsEmpty)
        {
            var networks = new Map();
            foreach (var (key, n) in project.Networks)
            {
                var map = new Map();
                Optional(map, "name", n.Name);
                Optional(map, "driver", n.Driver);
                if (!n.DriverOpts.IsEmpty)
                {
                    map.Put("driver_opts", Pairs(n.DriverOpts));
                }

                Flag(map, "external", n.External);
                Flag(map, "internal", n.Internal);
                Flag(map, "attachable", n.Attachable);
                Flag(map, "enable_ipv6", n.EnableIpv6);
                if (!n.Labels.IsEmpty)
                {
                    map.Put("labels", Pairs(n.Labels));
                }

                networks.Put(key, map);
            }

            root.Put("networks", networks);
        }

        PutSources(root, "secrets", project.Secrets);
        PutSources(root, "configs", project.Configs);
    }

    private static void PutSources(Map root, string section, System.Collections.Immutable.ImmutableSortedDictionary<string, FileSource> sources)
    {
        if (sources.IsEmpty)
        {
            return;
        }

        var all = new Map();
        foreach (var (key, source) in sources)
        {
            // Inline content is shown as its length only: a config written into the file may still be sensitive.
            var map = new Map();
            Optional(map, "name", source.Name);
            Optional(map, "file", source.File);
            Optional(map, "environment", source.Environment);
            if (source.Content is { } content)
            {
                map.Put("content", $"({content.Length} characters)");
            }

            Flag(map, "external", source.External);
            all.Put(key, map);
        }

        root.Put(section, all);
    }

    private static Map Pairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var map = new Map();
        foreach (var (key, value) in pairs)
        {
            map.Put(key, value);
        }

        return map;
    }

    private static void Optional(Map map, string key, string? value)
    {
        if (value is not null)
        {
            map.Put(key, value);
        }
    }

    private static void Flag(Map map, string key, bool value)
    {
        if (value)
        {
            map.Put(key, true);
        }
    }

    /// <summary>A <see cref="ContainerOptions.Fields"/> value as the writer's tree.</summary>
    private static object? ToTree(object? value) => value switch
    {
        List<KeyValuePair<string, object?>> pairs => pairs.Aggregate(new Map(), (map, e) =>
        {
            map.Put(e.Key, ToTree(e.Value));
            return map;
        }),
        List<object?> list => list.Select(ToTree).ToList(),
        _ => value,
    };
}
