using System.Runtime.InteropServices;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>Applies <see cref="Interpolation"/> to every scalar value of a tree (never to keys, as Compose does).</summary>
internal static class TreeInterpolator
{
    public static ConfigNode Apply(ConfigNode node, Func<string, string?> lookup, List<ConfigError> errors)
    {
        // The readers mark subtrees without any '$' in a value, so a file without variables costs no walk at all.
        if (!node.MayInterpolate)
        {
            return node;
        }

        switch (node)
        {
            case ScalarNode s:
                var text = Interpolation.Interpolate(s.Value, lookup, out var failure);
                if (failure is not null)
                {
                    errors.Add(new ConfigError(Offset(s, failure.Offset), failure.WithDetail));
                    return s;
                }

                // An interpolated value is a string even when the scalar was plain: `${EMPTY}` must not become null.
                return text == s.Value ? s : new ScalarNode(s.Location, text!, isPlain: false);
            case SequenceNode q:
                ConfigNode[]? items = null;
                for (var i = 0; i < q.Items.Length; i++)
                {
                    var item = Apply(q.Items[i], lookup, errors);
                    if (items is null && !ReferenceEquals(item, q.Items[i]))
                    {
                        items = new ConfigNode[q.Items.Length];
                        for (var j = 0; j < i; j++)
                        {
                            items[j] = q.Items[j];
                        }
                    }

                    if (items is not null)
                    {
                        items[i] = item;
                    }
                }

                // Unchanged subtrees are shared: only the path to a changed scalar is copied.
                return items is null ? q : new SequenceNode(q.Location, ImmutableCollectionsMarshal.AsImmutableArray(items));
            case MappingNode m:
                KeyValuePair<ScalarNode, ConfigNode>[]? entries = null;
                for (var i = 0; i < m.Entries.Length; i++)
                {
                    var value = Apply(m.Entries[i].Value, lookup, errors);
                    if (entries is null && !ReferenceEquals(value, m.Entries[i].Value))
                    {
                        entries = new KeyValuePair<ScalarNode, ConfigNode>[m.Entries.Length];
                        for (var j = 0; j < i; j++)
                        {
                            entries[j] = m.Entries[j];
                        }
                    }

                    if (entries is not null)
                    {
                        entries[i] = new(m.Entries[i].Key, value);
                    }
                }

                return entries is null ? m : new MappingNode(m.Location, ImmutableCollectionsMarshal.AsImmutableArray(entries));
            default:
                return node;
        }
    }

    // A plain one-line scalar maps text offsets to columns one to one, so the error can point at the "${" itself.
    private static SourceLocation Offset(ScalarNode s, int offset) =>
        s.IsPlain && s.Value.IndexOf('\n') < 0 ? s.Location with { Column = s.Location.Column + offset } : s.Location;
}
