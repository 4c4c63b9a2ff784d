using System.Collections.Immutable;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// The top-level networks, secrets and configs sections.
internal sealed partial class ProjectReader
{
    private static readonly string[] NetworkKeys = ["driver", "driver_opts", "external", "name", "internal", "attachable", "labels", "enable_ipv6"];
    private static readonly HashSet<string> NetworkUnsupported = ["ipam", "enable_ipv4"];
    private static readonly string[] SecretKeys = ["file", "environment", "external", "name"];
    private static readonly HashSet<string> SecretUnsupported = ["driver", "driver_opts", "labels", "template_driver"];
    private static readonly string[] ConfigKeys = ["file", "environment", "content", "external", "name"];

    private ImmutableSortedDictionary<string, NetworkSpec> ReadNetworks(ConfigNode node)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, NetworkSpec>(StringComparer.Ordinal);
        if (reader.Mapping(node, "networks") is not { } map)
        {
            return result.ToImmutable();
        }

        foreach (var (key, value) in map.Entries)
        {
            if (value is ScalarNode { IsNull: true })
            {
                result[key.Value] = new NetworkSpec();
                continue;
            }

            if (reader.Mapping(value, $"network \"{key.Value}\"") is not { } options)
            {
                continue;
            }

            var where = $"network \"{key.Value}\"";
            reader.CheckKeys(options, $"in {where}", NetworkKeys, NetworkUnsupported);
            var (external, legacyName) = External(options, where);
            var name = options["name"] is { } n ? reader.String(n, $"{where}: name") : legacyName;
            if (external && options.Entries.FirstOrDefault(e => e.Key.Value is not ("external" or "name") && !e.Key.Value.StartsWith("x-", StringComparison.Ordinal)).Key is { } conflicting)
            {
                reader.Error(conflicting, $"{where} is external: \"{conflicting.Value}\" cannot be set on a network nanokit does not create");
            }

            result[key.Value] = new NetworkSpec
            {
                Driver = options["driver"] is { } d ? reader.String(d, $"{where}: driver") : null,
                DriverOpts = options["driver_opts"] is { } o ? StringMap(o, $"{where}: driver_opts") : ImmutableSortedDictionary<string, string>.Empty,
                External = external,
                Name = name ?? (external ? key.Value : null),
                Internal = options["internal"] is { } i && reader.Bool(i, $"{where}: internal") == true,
                Attachable = options["attachable"] is { } a && reader.Bool(a, $"{where}: attachable") == true,
                EnableIpv6 = options["enable_ipv6"] is { } v6 && reader.Bool(v6, $"{where}: enable_ipv6") == true,
                Labels = options["labels"] is { } l ? StringMap(l, $"{where}: labels") : ImmutableSortedDictionary<string, string>.Empty,
            };
        }

        return result.ToImmutable();
    }

    // Exactly one source: a file (relative to the project directory), an environment variable, inline content (configs), or external.
    private ImmutableSortedDictionary<string, FileSource> ReadFileSources(ConfigNode node, string section)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, FileSource>(StringComparer.Ordinal);
        if (reader.Mapping(node, section) is not { } map)
        {
            return result.ToImmutable();
        }

        var kind = section == "secrets" ? "secret" : "config";
        foreach (var (key, value) in map.Entries)
        {
            var where = $"{kind} \"{key.Value}\"";
            if (reader.Mapping(value, where) is not { } options)
            {
                continue;
            }

            reader.CheckKeys(options, $"in {where}", section == "secrets" ? SecretKeys : ConfigKeys, SecretUnsupported);
            var (external, legacyName) = External(options, where);
            var file = options["file"] is { } f ? reader.String(f, $"{where}: file") : null;
            var environment = options["environment"] is { } e ? reader.String(e, $"{where}: environment") : null;
            var content = options["content"] is { } c ? reader.String(c, $"{where}: content") : null;
            var sources = (file is null ? 0 : 1) + (environment is null ? 0 : 1) + (content is null ? 0 : 1) + (external ? 1 : 0);
            if (sources != 1)
            {
                reader.Error(key, $"{where}: set exactly one of {(section == "secrets" ? "file, environment or external" : "file, environment, content or external")}");
            }

            result[key.Value] = new FileSource
            {
                File = file is null ? null : Path.GetFullPath(file, context.ProjectDirectory),
                Environment = environment,
                Content = content,
                External = external,
                Name = (options["name"] is { } n ? reader.String(n, $"{where}: name") : legacyName) ?? (external ? key.Value : null),
            };
        }

        return result.ToImmutable();
    }

    // external: true, or the legacy external: {name: X} form.
    private (bool External, string? Name) External(MappingNode options, string where)
    {
        switch (options["external"])
        {
            case null:
                return (false, null);
            case MappingNode legacy:
                return (true, legacy["name"] is { } n ? reader.String(n, $"{where}: external.name") : null);
            case var flag:
                return (reader.Bool(flag, $"{where}: external") == true, null);
        }
    }

    private ImmutableSortedDictionary<string, string> StringMap(ConfigNode node, string what)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (Merge.AsMapping(node, '=') is not { } map)
        {
            reader.Error(node, $"{what}: expected a mapping or a list of KEY=VALUE strings, got {node.KindName}");
            return result.ToImmutable();
        }

        foreach (var (key, value) in map.Entries)
        {
            result[key.Value] = (value is ScalarNode { IsNull: true } ? "" : reader.String(value, $"{what}.{key.Value}")) ?? "";
        }

        return result.ToImmutable();
    }
}
