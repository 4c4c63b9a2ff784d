using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>
/// A YAML node with its source position. The loader works on this small tree instead of YamlDotNet's
/// representation model so that aliases can be shared (not copied) and their expanded size budgeted.
/// The position is kept as file, line and column and only becomes a <see cref="SourceLocation"/> when asked
/// for: a 10 k-service file has hundreds of thousands of nodes and few of them are ever reported.
/// </summary>
internal abstract class ConfigNode
{
    private readonly string _file;
    private readonly int _line;
    private readonly int _column;

    protected ConfigNode(SourceLocation location)
        : this(location.File, location.Line, location.Column)
    {
    }

    protected ConfigNode(string file, int line, int column)
    {
        _file = file;
        _line = line;
        _column = column;
    }

    public SourceLocation Location => new(_file, _line, _column);

    /// <summary>Nodes this subtree stands for once aliases are expanded; bounds every later walk.</summary>
    public abstract long Weight { get; }

    /// <summary>
    /// Whether a scalar value in this subtree contains <c>$</c>, so interpolation can skip whole subtrees;
    /// true unless the builder knows better, which is always safe.
    /// </summary>
    public bool MayInterpolate { get; init; } = true;

    /// <summary>"a mapping", "a sequence", "a string"… for "expected X, got Y" messages.</summary>
    public abstract string KindName { get; }
}

internal sealed class ScalarNode : ConfigNode
{
    public ScalarNode(SourceLocation location, string value, bool isPlain)
        : base(location)
    {
        Value = value;
        IsPlain = isPlain;
        MayInterpolate = value.Contains('$');
    }

    public ScalarNode(string file, int line, int column, string value, bool isPlain)
        : base(file, line, column)
    {
        Value = value;
        IsPlain = isPlain;
        MayInterpolate = value.Contains('$');
    }

    public string Value { get; }

    // Not stored: a scalar is one node, and there are hundreds of thousands of them in a large file.
    public override long Weight => 1;

    /// <summary>Plain (unquoted, not produced by interpolation): only these can be null, booleans or numbers in YAML's core schema.</summary>
    public bool IsPlain { get; }

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string KindName => IsNull ? "null"
        : !IsPlain ? "a string"
        : Value is "true" or "false" or "True" or "False" or "TRUE" or "FALSE" ? "a boolean"
        : double.TryParse(Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) ? "a number"
        : "a string";
}

internal sealed class SequenceNode : ConfigNode
{
    public SequenceNode(SourceLocation location, ImmutableArray<ConfigNode> items)
        : base(location)
    {
        Items = items;
    }

    /// <summary>For the YAML readers, which know the <paramref name="weight"/> of what they read.</summary>
    public SequenceNode(string file, int line, int column, ImmutableArray<ConfigNode> items, long weight)
        : base(file, line, column)
    {
        Items = items;
        Weight = weight;
    }

    public ImmutableArray<ConfigNode> Items { get; }

    public override long Weight { get; } = 1;

    public override string KindName => "a sequence";
}

/// <summary>
/// A mapping with unique keys in document order. Lookups are O(1) so 10 k-service files stay linear; a small
/// mapping (most of them: a service's environment, a healthcheck) is searched linearly instead, which is as
/// fast and spares a dictionary per mapping.
/// </summary>
internal sealed class MappingNode : ConfigNode
{
    /// <summary>Up to this many entries a linear search beats hashing the key.</summary>
    internal const int LinearSearchLimit = 8;

    private readonly Dictionary<string, int>? _index;

    public MappingNode(SourceLocation location, ImmutableArray<KeyValuePair<ScalarNode, ConfigNode>> entries)
        : base(location)
    {
        Entries = entries;
        if (entries.Length > LinearSearchLimit)
        {
            _index = new Dictionary<string, int>(entries.Length, StringComparer.Ordinal);
            for (var i = 0; i < entries.Length; i++)
            {
                _index[entries[i].Key.Value] = i;
            }
        }
    }

    /// <summary>For the YAML readers, which have already checked the keys for duplicates (<paramref name="index"/> is null for small mappings) and know the <paramref name="weight"/> of what they read.</summary>
    internal MappingNode(string file, int line, int column, ImmutableArray<KeyValuePair<ScalarNode, ConfigNode>> entries, Dictionary<string, int>? index, long weight)
        : base(file, line, column)
    {
        Entries = entries;
        _index = entries.Length > LinearSearchLimit ? index : null;
        Weight = weight;
    }

    public ImmutableArray<KeyValuePair<ScalarNode, ConfigNode>> Entries { get; }

    public override long Weight { get; } = 1;

    public override string KindName => "a mapping";

    public ConfigNode? this[string key] => IndexOf(key) is var i and >= 0 ? Entries[i].Value : null;

    public ScalarNode? KeyNode(string key) => IndexOf(key) is var i and >= 0 ? Entries[i].Key : null;

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    private int IndexOf(string key)
    {
        if (_index is not null)
        {
            return _index.TryGetValue(key, out var i) ? i : -1;
        }

        // From the end: with a repeated key (only possible through the public constructor) the last one wins, as with the index.
        for (var i = Entries.Length - 1; i >= 0; i--)
        {
            if (string.Equals(Entries[i].Key.Value, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
