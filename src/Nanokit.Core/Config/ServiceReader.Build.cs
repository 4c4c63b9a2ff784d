using System.Collections.Immutable;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// Compose `build`: the short form (a context path) or the mapping; the context's files are hashed here, so the config
// hash, and with it the plan, sees a change of the context.
internal sealed partial class ServiceReader
{
    private static readonly string[] BuildKeys = ["context", "dockerfile", "args", "target"];

    private static readonly HashSet<string> BuildUnsupported =
    [
        "additional_contexts", "cache_from", "cache_to", "dockerfile_inline", "entitlements", "extra_hosts", "isolation",
        "labels", "network", "no_cache", "platforms", "privileged", "pull", "secrets", "shm_size", "ssh", "tags", "ulimits",
    ];

    private BuildSpec? ReadBuild(string service, ConfigNode node)
    {
        ConfigNode contextNode;
        MappingNode? map = null;
        switch (node)
        {
            case ScalarNode:
                contextNode = node;
                break;
            case MappingNode mapping:
                map = mapping;
                reader.CheckKeys(mapping, $"in build of service \"{service}\"", BuildKeys, BuildUnsupported);
                contextNode = mapping["context"] ?? node;
                break;
            default:
                reader.Error(node, $"build: expected a context path or a mapping, got {node.KindName}");
                return null;
        }

        var contextText = ReferenceEquals(contextNode, node) && map is not null ? "." : reader.String(contextNode, "build.context");
        if (contextText is null)
        {
            return null;
        }

        if (contextText.Contains("://", StringComparison.Ordinal) || contextText.StartsWith("git@", StringComparison.Ordinal))
        {
            reader.Error(contextNode, $"build.context: \"{contextText}\" is a remote context; nanokit builds from a local directory");
            return null;
        }

        var directory = Path.GetFullPath(contextText, context.ProjectDirectory);
        if (context.Limits.Confinement(directory) is { } confined)
        {
            reader.Error(contextNode, $"build.context: \"{contextText}\": {confined}");
            return null;
        }

        if (!Directory.Exists(directory))
        {
            reader.Error(contextNode, $"build.context: directory \"{contextText}\" ({directory}) does not exist");
            return null;
        }

        var dockerfile = map?["dockerfile"] is { } dockerfileNode ? reader.String(dockerfileNode, "build.dockerfile") ?? "Dockerfile" : "Dockerfile";
        if (!File.Exists(Path.GetFullPath(dockerfile, directory)))
        {
            reader.Error(map?["dockerfile"] ?? contextNode, $"build.dockerfile: \"{dockerfile}\" not found in the context {directory}");
            return null;
        }

        var args = ImmutableSortedDictionary<string, string?>.Empty.WithComparers(StringComparer.Ordinal);
        if (map?["args"] is { } argsNode)
        {
            if (Merge.AsMapping(argsNode, '=') is not { } entries)
            {
                reader.Error(argsNode, $"build.args: expected a mapping or a list of KEY=VALUE strings, got {argsNode.KindName}");
            }
            else
            {
                foreach (var (key, value) in entries.Entries)
                {
                    // An argument without a value takes the variable's from the environment, as Compose does (or stays unset).
                    args = args.SetItem(key.Value, value is ScalarNode { IsNull: true } ? context.Lookup(key.Value) : reader.String(value, $"build.args.{key.Value}"));
                }
            }
        }

        var target = map?["target"] is { } targetNode ? reader.String(targetNode, "build.target") : null;
        string hash;
        try
        {
            hash = BuildContextFiles.Hash(directory, dockerfile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.RegularExpressions.RegexParseException)
        {
            reader.Error(contextNode, $"build.context: cannot read the context {directory}: {e.Message}");
            return null;
        }

        return new BuildSpec(directory, dockerfile, args, target, hash);
    }
}
