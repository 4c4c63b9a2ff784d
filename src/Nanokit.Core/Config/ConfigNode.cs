using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>
/// A YAML node with its source position. The loader works on this small tree instead of YamlDotNet's
/// representation model so that aliases can be shared (not copied) and their expanded size budgeted.
/// </summary>
internal abstract class ConfigNode(SourceLocation location)
{
    public SourceLocation Location { get; } = location;

    /// <summary>Nodes this subtree stands for once aliases are expanded; bounds every later walk.</summary>
    public long Weight { get; init; } = 1;

    /// <summary>"a mapping", "a sequence", "a string"… for "expected X, got Y" messages.</summary>
    public abstract string KindName { get; }
}

internal sealed class ScalarNode(SourceLocation location, string value, bool isPlain) : ConfigNode(location)
{
    public string Value { get; } = value;

    /// <summary>Plain (unquoted, not produced by interpolation): only these can be null, booleans or numbers in YAML's core schema.</summary>
    public bool IsPlain { get; } = isPlain;

    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string KindName => IsNull ? "null"
        : !IsPlain ? "a string"
        : Value is "true" or "false" or "True" or "False" or "TRUE" or "FALSE" ? "a boolean"
        : double.TryParse(Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _) ? "a number"
        : "a string";
}

internal sealed class SequenceNode(SourceLocation location, IReadOnlyList<ConfigNode> items) : ConfigNode(location)
{
    public IReadOnlyList<ConfigNode> Items { get; } = items;

    public override string KindName => "a sequence";
}

/// <summary>A mapping with unique keys in document order; lookups are O(1) so 10 k-service files stay linear.</summary>
internal sealed class MappingNode : ConfigNode
{
    private readonly Dictionary<string, int> _index;

    public MappingNode(SourceLocation location, IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> entries)
        : base(location)
    {
        Entries = entries;
        _index = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            _index[entries[i].Key.Value] = i;
        }
    }

    /// <summary>For the YAML reader, which has already built the index while checking for duplicate keys.</summary>
    internal MappingNode(SourceLocation location, IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> entries, Dictionary<string, int> index)
        : base(location)
    {
        Entries = entries;
        _index = index;
    }

    public IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> Entries { get; }

    public override string KindName => "a mapping";

    public ConfigNode? this[string key] => _index.TryGetValue(key, out var i) ? Entries[i].Value : null;

    public ScalarNode? KeyNode(string key) => _index.TryGetValue(key, out var i) ? Entries[i].Key : null;

    public bool ContainsKey(string key) => _index.ContainsKey(key);
}
