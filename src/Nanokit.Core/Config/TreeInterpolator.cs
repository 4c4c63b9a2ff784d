using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>Applies <see cref="Interpolation"/> to every scalar value of a tree (never to keys, as Compose does).</summary>
internal static class TreeInterpolator
{
    public static ConfigNode Apply(ConfigNode node, Func<string, string?> lookup, List<ConfigError> errors)
    {
        switch (node)
        {
            case ScalarNode s:
                if (s.Value.IndexOf('$') < 0)
                {
                    return s;
                }

                var text = Interpolation.Interpolate(s.Value, lookup, out var failure);
                if (failure is not null)
                {
                    errors.Add(new ConfigError(Offset(s, failure.Offset), failure.Message));
                    return s;
                }

                // An interpolated value is a string even when the scalar was plain: `${EMPTY}` must not become null.
                return text == s.Value ? s : new ScalarNode(s.Location, text!, isPlain: false);
            case SequenceNode q:
                var items = new ConfigNode[q.Items.Count];
                var itemsChanged = false;
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = Apply(q.Items[i], lookup, errors);
                    itemsChanged |= !ReferenceEquals(items[i], q.Items[i]);
                }

                // Unchanged subtrees are shared, so a file without variables costs one walk and no copies.
                return itemsChanged ? new SequenceNode(q.Location, items) : q;
            case MappingNode m:
                var entries = new KeyValuePair<ScalarNode, ConfigNode>[m.Entries.Count];
                var entriesChanged = false;
                for (var i = 0; i < entries.Length; i++)
                {
                    var value = Apply(m.Entries[i].Value, lookup, errors);
                    entriesChanged |= !ReferenceEquals(value, m.Entries[i].Value);
                    entries[i] = new(m.Entries[i].Key, value);
                }

                return entriesChanged ? new MappingNode(m.Location, entries) : m;
            default:
                return node;
        }
    }

    // A plain one-line scalar maps text offsets to columns one to one, so the error can point at the "${" itself.
    private static SourceLocation Offset(ScalarNode s, int offset) =>
        s.IsPlain && s.Value.IndexOf('\n') < 0 ? s.Location with { Column = s.Location.Column + offset } : s.Location;
}
