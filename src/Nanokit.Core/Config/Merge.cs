using System.Collections.Immutable;

namespace Nanokit.Core.Config;

/// <summary>
/// The Compose merge rules for several files (and for <c>environments:</c> overlays): mappings merge key by
/// key, sequences append, scalars are replaced; <c>command</c>, <c>entrypoint</c>, <c>healthcheck.test</c>
/// and hook commands are replaced whole; <c>environment</c>, <c>labels</c> and <c>depends_on</c> are
/// normalised from their list forms to mappings and merged by key. <c>ports</c> and <c>volumes</c> append
/// here and are de-duplicated by their unique key once parsed (<see cref="ServiceReader"/>), because
/// the key ({ip, published, target, protocol} / target) only exists after the short syntax is parsed.
/// </summary>
internal static class Merge
{
    public static ConfigNode Project(ConfigNode baseNode, ConfigNode overlay)
    {
        if (baseNode is not MappingNode b || overlay is not MappingNode o)
        {
            return IsNull(overlay) ? baseNode : overlay;
        }

        return Mappings(b, o, static (key, x, y) => key == "services" ? Services(x, y) : Generic(x, y));
    }

    private static ConfigNode Services(ConfigNode baseNode, ConfigNode overlay)
    {
        if (baseNode is not MappingNode b || overlay is not MappingNode o)
        {
            return IsNull(overlay) ? baseNode : overlay;
        }

        return Mappings(b, o, static (_, x, y) => x is MappingNode xs && y is MappingNode ys ? Service(xs, ys) : IsNull(y) ? x : y);
    }

    internal static ConfigNode Service(MappingNode baseService, MappingNode overlay) =>
        Mappings(baseService, overlay, static (key, x, y) => key switch
        {
            "command" or "entrypoint" => y,
            "environment" or "labels" => KeyedMap(x, y, '='),
            "depends_on" => KeyedMap(x, y, null),
            "healthcheck" when x is MappingNode hx && y is MappingNode hy =>
                Mappings(hx, hy, static (k, a, b) => k == "test" ? b : Generic(a, b)),
            "hooks" when x is MappingNode kx && y is MappingNode ky => Mappings(kx, ky, static (_, _, b) => b),
            _ => Generic(x, y),
        });

    private static ConfigNode Generic(ConfigNode x, ConfigNode y) => (x, y) switch
    {
        (MappingNode a, MappingNode b) => Mappings(a, b, static (_, p, q) => Generic(p, q)),
        (SequenceNode a, SequenceNode b) => new SequenceNode(b.Location, [.. a.Items, .. b.Items]),

        // env_file, profiles and similar accept a string for a one-element list; they still append.
        (SequenceNode a, ScalarNode b) when !b.IsNull => new SequenceNode(a.Location, [.. a.Items, b]),
        (ScalarNode a, SequenceNode b) when !a.IsNull => new SequenceNode(b.Location, [a, .. b.Items]),
        _ => y,
    };

    private static MappingNode Mappings(MappingNode a, MappingNode b, Func<string, ConfigNode, ConfigNode, ConfigNode> mergeValue)
    {
        var entries = ImmutableArray.CreateBuilder<KeyValuePair<ScalarNode, ConfigNode>>(a.Entries.Length + b.Entries.Length);
        foreach (var entry in a.Entries)
        {
            var other = b[entry.Key.Value];
            entries.Add(other is null ? entry : new(entry.Key, mergeValue(entry.Key.Value, entry.Value, other)));
        }

        foreach (var entry in b.Entries)
        {
            if (!a.ContainsKey(entry.Key.Value))
            {
                entries.Add(entry);
            }
        }

        return new MappingNode(a.Location, entries.DrainToImmutable());
    }

    /// <summary>
    /// Merges two values that may each be a mapping or a list (<c>KEY=VALUE</c> strings when
    /// <paramref name="separator"/> is set, bare names for depends_on); when both sides are well-formed
    /// the result is a mapping, otherwise the overlay wins and the reader reports its shape.
    /// </summary>
    private static ConfigNode KeyedMap(ConfigNode x, ConfigNode y, char? separator)
    {
        var a = AsMapping(x, separator);
        var b = AsMapping(y, separator);
        if (a is null || b is null)
        {
            return y;
        }

        return Mappings(a, b, static (_, p, q) => p is MappingNode pm && q is MappingNode qm ? Mappings(pm, qm, static (_, _, v) => v) : q);
    }

    internal static MappingNode? AsMapping(ConfigNode node, char? separator)
    {
        if (node is MappingNode m)
        {
            return m;
        }

        if (node is not SequenceNode seq)
        {
            return null;
        }

        var entries = ImmutableArray.CreateBuilder<KeyValuePair<ScalarNode, ConfigNode>>(seq.Items.Length);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in seq.Items)
        {
            if (item is not ScalarNode s || s.IsNull)
            {
                return null;
            }

            ScalarNode key;
            ConfigNode value;
            var cut = separator is null ? -1 : s.Value.IndexOf(separator.Value);
            if (separator is null)
            {
                key = s;
                value = new MappingNode(s.Location, []);
            }
            else if (cut < 0)
            {
                key = s;
                value = new ScalarNode(s.Location, "", isPlain: true);
            }
            else
            {
                key = new ScalarNode(s.Location, s.Value[..cut], isPlain: false);
                value = new ScalarNode(s.Location, s.Value[(cut + 1)..], isPlain: false);
            }

            // In a list the last occurrence of a key wins, as Compose resolves `- A=1` then `- A=2`.
            if (index.TryGetValue(key.Value, out var at))
            {
                entries[at] = new(key, value);
            }
            else
            {
                index[key.Value] = entries.Count;
                entries.Add(new(key, value));
            }
        }

        return new MappingNode(seq.Location, entries.DrainToImmutable());
    }

    private static bool IsNull(ConfigNode node) => node is ScalarNode { IsNull: true };
}
