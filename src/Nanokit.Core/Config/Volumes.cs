using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Compose <c>volumes</c> on a service: short syntax <c>[source:]target[:mode]</c> (a source starting with
/// <c>/ . ~</c> is a bind mount, anything else a named volume) and long syntax <c>{type, source, target, read_only}</c>.
/// Relative bind sources resolve against the project directory, as <c>docker compose config</c> prints them.
/// </summary>
internal static class Volumes
{
    private static readonly string[] LongKeys = ["type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs"];
    private static readonly HashSet<string> ShortModes = ["ro", "rw", "z", "Z", "nocopy", "cached", "delegated", "consistent", "rprivate", "private", "rshared", "shared", "rslave", "slave"];

    public static VolumeMount? Read(ConfigNode node, NodeReader reader, string projectDirectory, IReadOnlyDictionary<string, string> env)
    {
        switch (node)
        {
            case ScalarNode { IsNull: false } s:
                return ReadShort(s, reader, projectDirectory, env);
            case MappingNode m:
                return ReadLong(m, reader, projectDirectory, env);
            default:
                reader.Error(node, $"volumes entry: expected a string or a mapping, got {node.KindName}");
                return null;
        }
    }

    private static VolumeMount? ReadShort(ScalarNode s, NodeReader reader, string projectDirectory, IReadOnlyDictionary<string, string> env)
    {
        var parts = s.Value.Split(':');
        if (parts.Length == 1)
        {
            return Target(parts[0]) ? new VolumeMount("volume", null, parts[0], false) : Bad();
        }

        if (parts.Length > 3 || parts[0].Length == 0 || !Target(parts[1]))
        {
            return Bad();
        }

        var readOnly = false;
        if (parts.Length == 3)
        {
            foreach (var mode in parts[2].Split(','))
            {
                if (!ShortModes.Contains(mode))
                {
                    reader.Error(s, $"invalid volume \"{s.Value}\": unknown mode \"{mode}\"");
                    return null;
                }

                readOnly |= mode == "ro";
            }
        }

        return IsPath(parts[0])
            ? new VolumeMount("bind", Resolve(parts[0], projectDirectory, env), parts[1], readOnly)
            : new VolumeMount("volume", parts[0], parts[1], readOnly);

        VolumeMount? Bad()
        {
            reader.Error(s, $"invalid volume \"{s.Value}\": expected [source:]target[:mode] with an absolute target path");
            return null;
        }
    }

    private static VolumeMount? ReadLong(MappingNode m, NodeReader reader, string projectDirectory, IReadOnlyDictionary<string, string> env)
    {
        reader.CheckKeys(m, "in a volumes entry", LongKeys);
        var type = m["type"] is { } t ? reader.String(t, "volumes.type") : null;
        var source = m["source"] is { } src ? reader.String(src, "volumes.source") : null;
        var target = m["target"] is { } tg ? reader.String(tg, "volumes.target") : null;
        var readOnly = m["read_only"] is { } ro && reader.Bool(ro, "volumes.read_only") == true;
        if (target is null || !Target(target))
        {
            reader.Error(m["target"] ?? m, "volumes entry: \"target\" must be an absolute path in the container");
            return null;
        }

        type ??= source is null ? "volume" : IsPath(source) ? "bind" : "volume";
        switch (type)
        {
            case "bind" when source is null:
                reader.Error(m, "volumes entry: a bind mount needs a \"source\"");
                return null;
            case "bind":
                return new VolumeMount("bind", Resolve(source, projectDirectory, env), target, readOnly);
            case "volume" or "tmpfs":
                return new VolumeMount(type, source, target, readOnly);
            default:
                reader.Error(m["type"]!, $"volume type \"{type}\" is not supported by nanokit yet (use bind, volume or tmpfs)");
                return null;
        }
    }

    private static bool Target(string path) => path.StartsWith('/');

    private static bool IsPath(string source) => source[0] is '/' or '.' or '~';

    private static string Resolve(string source, string projectDirectory, IReadOnlyDictionary<string, string> env)
    {
        if (source.StartsWith('~') && env.TryGetValue("HOME", out var home))
        {
            source = home + source[1..];
        }

        return Path.GetFullPath(source, projectDirectory);
    }
}
