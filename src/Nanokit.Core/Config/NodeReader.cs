using System.Collections.Immutable;
using System.Globalization;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>Typed access to <see cref="ConfigNode"/>s that records a located error instead of throwing, so every problem is reported at once.</summary>
internal sealed class NodeReader(List<ConfigError> errors)
{
    public List<ConfigError> Errors { get; } = errors;

    public void Error(ConfigNode node, string message) => Errors.Add(new ConfigError(node.Location, message));

    public void Error(SourceLocation location, string message) => Errors.Add(new ConfigError(location, message));

    public MappingNode? Mapping(ConfigNode node, string what)
    {
        if (node is MappingNode m)
        {
            return m;
        }

        Error(node, $"{what}: expected a mapping, got {node.KindName}");
        return null;
    }

    /// <summary>
    /// Reports every key of <paramref name="map"/> that is neither known nor an <c>x-</c> extension, with a suggestion;
    /// keys in <paramref name="unsupported"/> are valid Compose but get a "not supported yet" message instead.
    /// </summary>
    public void CheckKeys(MappingNode map, string where, IReadOnlyCollection<string> known, IReadOnlySet<string>? unsupported = null)
    {
        foreach (var (key, _) in map.Entries)
        {
            var name = key.Value;
            if (known.Contains(name) || name.StartsWith("x-", StringComparison.Ordinal))
            {
                continue;
            }

            if (unsupported is not null && unsupported.Contains(name))
            {
                Error(key, $"\"{name}\" {where} is a Compose key no Nanokit runtime honours yet (local, docker)");
                continue;
            }

            var suggestion = Suggest.Closest(name, known);
            Error(key, suggestion is null
                ? $"unknown key \"{name}\" {where}"
                : $"unknown key \"{name}\" {where}; did you mean \"{suggestion}\"?");
        }
    }

    /// <summary>Whether <see cref="CheckKeys"/> would find nothing to report: lets callers skip formatting its message.</summary>
    public static bool AllKnown(MappingNode map, IReadOnlySet<string> known)
    {
        foreach (var (key, _) in map.Entries)
        {
            if (!known.Contains(key.Value) && !key.Value.StartsWith("x-", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A scalar as text (numbers and booleans keep their YAML spelling); null for YAML null or a wrong type.</summary>
    public string? String(ConfigNode node, string what)
    {
        if (node is ScalarNode s)
        {
            return s.IsNull ? null : s.Value;
        }

        Error(node, $"{what}: expected a string, got {node.KindName}");
        return null;
    }

    public int? Int(ConfigNode node, string what)
    {
        if (node is ScalarNode s && !s.IsNull)
        {
            if (int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            Error(node, $"{what}: expected an integer, got \"{s.Value}\"");
            return null;
        }

        Error(node, $"{what}: expected an integer, got {node.KindName}");
        return null;
    }

    public bool? Bool(ConfigNode node, string what)
    {
        if (node is ScalarNode s && !s.IsNull)
        {
            switch (s.Value.ToLowerInvariant())
            {
                case "true":
                    return true;
                case "false":
                    return false;
            }
        }

        Error(node, $"{what}: expected true or false, got {Describe(node)}");
        return null;
    }

    public TimeSpan? Duration(ConfigNode node, string what)
    {
        if (node is ScalarNode s && !s.IsNull)
        {
            if (Durations.TryParse(s.Value, out var value))
            {
                return value;
            }

            Error(node, $"{what}: invalid duration \"{s.Value}\" (use a number with a unit, e.g. 1m30s, 10s, 500ms, 1h)");
            return null;
        }

        Error(node, $"{what}: expected a duration, got {node.KindName}");
        return null;
    }

    /// <summary>A list of strings; a single string counts as a one-element list where Compose allows it.</summary>
    public ImmutableArray<string> StringList(ConfigNode node, string what, bool allowSingle)
    {
        if (node is ScalarNode s && allowSingle)
        {
            return s.IsNull ? [] : [s.Value];
        }

        if (node is not SequenceNode seq)
        {
            Error(node, $"{what}: expected a sequence, got {node.KindName}");
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<string>(seq.Items.Length);
        foreach (var item in seq.Items)
        {
            if (item is ScalarNode { IsNull: false } v)
            {
                builder.Add(v.Value);
            }
            else
            {
                Error(item, $"{what}: expected a string, got {item.KindName}");
            }
        }

        // Without errors the builder is exactly full and its array becomes the result, uncopied.
        return builder.DrainToImmutable();
    }

    /// <summary>A command as Compose reads <c>command</c>: a string split as a shell would, or a list taken verbatim.</summary>
    public ImmutableArray<string>? Command(ConfigNode node, string what)
    {
        if (node is ScalarNode s)
        {
            if (s.IsNull)
            {
                return null;
            }

            var words = ShellWords.Split(s.Value, out var error);
            if (words is null)
            {
                Error(node, $"{what}: {error}");
                return null;
            }

            return [.. words];
        }

        if (node is SequenceNode)
        {
            return StringList(node, what, allowSingle: false);
        }

        Error(node, $"{what}: expected a string or a sequence, got {node.KindName}");
        return null;
    }

    public static string Describe(ConfigNode node) => node is ScalarNode { IsNull: false } s ? $"\"{s.Value}\"" : node.KindName;
}
