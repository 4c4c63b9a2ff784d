using System.Collections.Immutable;
using System.Globalization;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// A service's networks, secrets and configs: references to the top-level sections, checked against them in Validation.
internal sealed partial class ServiceReader
{
    private static readonly string[] ServiceNetworkKeys = ["aliases", "ipv4_address", "ipv6_address", "priority"];
    private static readonly HashSet<string> ServiceNetworkUnsupported = ["driver_opts", "gw_priority", "interface_name", "link_local_ips", "mac_address"];
    private static readonly string[] GrantKeys = ["source", "target", "uid", "gid", "mode"];

    private ImmutableSortedDictionary<string, ServiceNetwork> ReadNetworks(string service, ConfigNode node)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, ServiceNetwork>(StringComparer.Ordinal);
        if (Merge.AsMapping(node, null) is not { } map)
        {
            reader.Error(node, $"networks: expected a list of network names or a mapping, got {node.KindName}");
            return result.ToImmutable();
        }

        foreach (var (key, value) in map.Entries)
        {
            context.NetworkUses.Add((service, key));
            if (value is ScalarNode { IsNull: true } or MappingNode { Entries.Length: 0 })
            {
                result[key.Value] = ServiceNetwork.Plain;
                continue;
            }

            if (reader.Mapping(value, $"networks.{key.Value}") is not { } options)
            {
                continue;
            }

            reader.CheckKeys(options, $"in networks.{key.Value}", ServiceNetworkKeys, ServiceNetworkUnsupported);
            result[key.Value] = new ServiceNetwork(
                options["aliases"] is { } a ? reader.StringList(a, $"networks.{key.Value}.aliases", allowSingle: false) : [],
                options["ipv4_address"] is { } v4 ? reader.String(v4, $"networks.{key.Value}.ipv4_address") : null,
                options["ipv6_address"] is { } v6 ? reader.String(v6, $"networks.{key.Value}.ipv6_address") : null,
                options["priority"] is { } p ? reader.Int(p, $"networks.{key.Value}.priority") : null);
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Short syntax (the name) or long syntax (source, target, uid, gid, mode). A secret's target defaults to
    /// /run/secrets/SOURCE, and a relative one lands under /run/secrets; a config's defaults to /SOURCE.
    /// </summary>
    private ImmutableArray<FileGrant> ReadGrants(string service, ConfigNode node, string what)
    {
        if (node is not SequenceNode seq)
        {
            reader.Error(node, $"{what}: expected a sequence, got {node.KindName}");
            return [];
        }

        var uses = what == "secrets" ? context.SecretUses : context.ConfigUses;
        var result = ImmutableArray.CreateBuilder<FileGrant>(seq.Items.Length);
        foreach (var item in seq.Items)
        {
            string? source, target = null, uid = null, gid = null;
            int? mode = null;
            ScalarNode? sourceNode;
            if (item is MappingNode m)
            {
                reader.CheckKeys(m, $"in a {what} entry", GrantKeys);
                sourceNode = m["source"] as ScalarNode;
                source = m["source"] is { } s ? reader.String(s, $"{what}.source") : null;
                target = m["target"] is { } t ? reader.String(t, $"{what}.target") : null;
                uid = m["uid"] is { } u ? reader.String(u, $"{what}.uid") : null;
                gid = m["gid"] is { } g ? reader.String(g, $"{what}.gid") : null;
                mode = m["mode"] is { } md ? FileMode(md, $"{what}.mode") : null;
                if (source is null)
                {
                    reader.Error(m, $"{what} entry: \"source\" is required");
                    continue;
                }
            }
            else
            {
                sourceNode = item as ScalarNode;
                source = reader.String(item, what);
                if (source is null)
                {
                    continue;
                }
            }

            uses.Add((service, sourceNode!));
            var resolved = what == "secrets"
                ? target is null ? "/run/secrets/" + source : target.StartsWith('/') ? target : "/run/secrets/" + target
                : target ?? "/" + source;
            result.Add(new FileGrant(source, resolved, uid, gid, mode));
        }

        return result.ToImmutable();
    }

    // Compose writes modes in octal (0440); YAML 1.2 would read that as decimal, so a leading 0 or 0o means octal here.
    private int? FileMode(ConfigNode node, string what)
    {
        if (node is ScalarNode { IsNull: false } s)
        {
            var text = s.Value.StartsWith("0o", StringComparison.Ordinal) ? s.Value[2..] : s.Value;
            var octal = text.Length > 1 && text[0] == '0' || s.Value.StartsWith("0o", StringComparison.Ordinal);
            try
            {
                var value = octal ? Convert.ToInt32(text, 8) : int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
                if (value is >= 0 and <= 0x1FF)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                // Reported below, with the other invalid modes.
            }
        }

        reader.Error(node, $"{what}: expected a file mode such as 0440, got {NodeReader.Describe(node)}");
        return null;
    }
}
