using System.Collections.Immutable;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// Compose's post_start and pre_stop: each a list of hooks with a required command (a string is split as command is).
internal sealed partial class ServiceReader
{
    private static readonly string[] LifecycleHookKeys = ["command", "user", "privileged", "working_dir", "environment"];

    private ImmutableArray<LifecycleHook> ReadLifecycleHooks(string service, MappingNode map, string key)
    {
        if (map[key] is not { } node)
        {
            return [];
        }

        if (node is not SequenceNode list)
        {
            reader.Error(node, $"{key}: expected a list of hooks (each a mapping with a command), got {node.KindName}");
            return [];
        }

        var result = ImmutableArray.CreateBuilder<LifecycleHook>(list.Items.Length);
        for (var i = 0; i < list.Items.Length; i++)
        {
            var what = $"{key}[{i}]";
            if (list.Items[i] is not MappingNode hook)
            {
                reader.Error(list.Items[i], $"{what}: expected a mapping with a command, got {list.Items[i].KindName}");
                continue;
            }

            reader.CheckKeys(hook, "in " + what, LifecycleHookKeys);
            foreach (var option in LifecycleHookKeys.Skip(1))
            {
                if (hook.KeyNode(option) is { } optionNode)
                {
                    context.LifecycleHookSites.TryAdd(service, []);
                    context.LifecycleHookSites[service].Add(($"{what}.{option}", optionNode.Location));
                }
            }

            var command = hook["command"] is { } commandNode ? reader.Command(commandNode, what + ".command") : null;
            if (command is not { Length: > 0 })
            {
                reader.Error(hook["command"] ?? hook, $"{what}: \"command\" is required and may not be empty");
                continue;
            }

            var environment = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
            if (hook["environment"] is { } env)
            {
                ReadEnvironmentEntries(env, environment);
            }

            result.Add(new LifecycleHook(
                command.Value,
                hook["user"] is { } user ? reader.String(user, what + ".user") : null,
                hook["privileged"] is { } privileged && reader.Bool(privileged, what + ".privileged") == true,
                hook["working_dir"] is { } dir ? reader.String(dir, what + ".working_dir") : null,
                environment.ToImmutable()));
        }

        return result.ToImmutable();
    }
}
