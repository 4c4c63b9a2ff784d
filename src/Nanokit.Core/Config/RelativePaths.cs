using System.Collections.Immutable;

namespace Nanokit.Core.Config;

/// <summary>
/// Makes the relative paths of a service (build context, env_file, bind-mount sources) or of a top-level
/// secret/config (<c>file</c>) absolute against the directory they were written for. A service taken from another
/// file by <c>extends</c> or <c>include</c> keeps meaning what its own file meant, whatever the project directory.
/// </summary>
internal static class RelativePaths
{
    public static MappingNode Service(MappingNode service, string directory) =>
        Rewrite(service, (key, value) => key switch
        {
            "build" => Build(value, directory),
            "env_file" => EnvFile(value, directory),
            "volumes" when value is SequenceNode seq => new SequenceNode(seq.Location, [.. seq.Items.Select(v => Volume(v, directory))]),
            _ => value,
        });

    /// <summary>A top-level secret or config: its <c>file</c> source.</summary>
    public static ConfigNode Resource(ConfigNode resource, string directory) =>
        resource is MappingNode m ? Rewrite(m, (key, value) => key == "file" ? Absolute(value, directory) : value) : resource;

    private static ConfigNode Build(ConfigNode value, string directory) => value switch
    {
        ScalarNode => Absolute(value, directory, remoteAllowed: true),
        MappingNode m when m["context"] is null =>
            new MappingNode(m.Location, m.Entries.Add(new(new ScalarNode(m.Location, "context", isPlain: true), new ScalarNode(m.Location, directory, isPlain: false)))),
        MappingNode m => Rewrite(m, (key, v) => key == "context" ? Absolute(v, directory, remoteAllowed: true) : v),
        _ => value,
    };

    private static ConfigNode EnvFile(ConfigNode value, string directory) => value switch
    {
        ScalarNode => Absolute(value, directory),
        SequenceNode seq => new SequenceNode(seq.Location, [.. seq.Items.Select(item => item is MappingNode m
            ? Rewrite(m, (key, v) => key == "path" ? Absolute(v, directory) : v)
            : Absolute(item, directory))]),
        _ => value,
    };

    // Only sources that are paths: a named volume ("data:/var/lib") and "~" (the user's home) mean the same anywhere.
    private static ConfigNode Volume(ConfigNode item, string directory)
    {
        if (item is ScalarNode { IsNull: false } s && s.Value.StartsWith('.') && s.Value.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
        {
            return new ScalarNode(s.Location, Path.GetFullPath(s.Value[..colon], directory) + s.Value[colon..], isPlain: false);
        }

        if (item is MappingNode m && m["source"] is ScalarNode { IsNull: false } source && source.Value.StartsWith('.'))
        {
            return Rewrite(m, (key, v) => key == "source" ? Absolute(v, directory) : v);
        }

        return item;
    }

    private static ConfigNode Absolute(ConfigNode value, string directory, bool remoteAllowed = false)
    {
        if (value is not ScalarNode { IsNull: false } s || s.Value.Length == 0 || Path.IsPathRooted(s.Value) || s.Value.StartsWith('~'))
        {
            return value;
        }

        // A build context may be a Git URL; it has no directory to resolve against.
        if (remoteAllowed && (s.Value.Contains("://", StringComparison.Ordinal) || s.Value.StartsWith("git@", StringComparison.Ordinal)))
        {
            return value;
        }

        return new ScalarNode(s.Location, Path.GetFullPath(s.Value, directory), isPlain: false);
    }

    private static MappingNode Rewrite(MappingNode map, Func<string, ConfigNode, ConfigNode> rewrite)
    {
        var entries = ImmutableArray.CreateBuilder<KeyValuePair<ScalarNode, ConfigNode>>(map.Entries.Length);
        foreach (var (key, value) in map.Entries)
        {
            entries.Add(new(key, rewrite(key.Value, value)));
        }

        return new MappingNode(map.Location, entries.MoveToImmutable());
    }
}
