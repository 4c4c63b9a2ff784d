using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>The keys that shape how a service runs rather than what it runs: dependencies, health, scale, profiles, hooks, runtime options.</summary>
internal sealed partial class ServiceReader
{
    private ImmutableSortedDictionary<string, Dependency> ReadDependsOn(ConfigNode node)
    {
        var result = _dependencies;
        result.Clear();
        if (node is SequenceNode list && list.Items.All(i => i is ScalarNode { IsNull: false }))
        {
            // The list form, read without building the mapping Merge.AsMapping would make of it: the last entry for a name wins.
            foreach (var item in list.Items)
            {
                var dependency = (ScalarNode)item;
                result[dependency.Value] = new Dependency(dependency.Value, DependencyCondition.ServiceStarted, true, false, dependency.Location);
            }

            return result.ToImmutable();
        }

        var map = Merge.AsMapping(node, null);
        if (map is null)
        {
            reader.Error(node, $"depends_on: expected a list of service names or a mapping, got {node.KindName}");
            return result.ToImmutable();
        }

        foreach (var (key, value) in map.Entries)
        {
            var condition = DependencyCondition.ServiceStarted;
            bool required = true, restart = false;
            if (value is MappingNode options)
            {
                reader.CheckKeys(options, $"in depends_on.{key.Value}", DependsOnKeys);
                if (options["condition"] is { } c && reader.String(c, "depends_on.condition") is { } text)
                {
                    switch (text)
                    {
                        case "service_started":
                            break;
                        case "service_healthy":
                            condition = DependencyCondition.ServiceHealthy;
                            break;
                        case "service_completed_successfully":
                            condition = DependencyCondition.ServiceCompletedSuccessfully;
                            break;
                        default:
                            var hint = Suggest.Closest(text, Conditions);
                            reader.Error(c, $"invalid depends_on condition \"{text}\": use service_started, service_healthy or service_completed_successfully"
                                + (hint is null ? "" : $"; did you mean \"{hint}\"?"));
                            break;
                    }
                }

                required = options["required"] is { } r ? reader.Bool(r, "depends_on.required") ?? true : true;
                restart = options["restart"] is { } rs && reader.Bool(rs, "depends_on.restart") == true;
            }
            else if (value is not ScalarNode { IsNull: true })
            {
                reader.Error(value, $"depends_on.{key.Value}: expected a mapping, got {value.KindName}");
            }

            result[key.Value] = new Dependency(key.Value, condition, required, restart, key.Location);
        }

        return result.ToImmutable();
    }

    private HealthcheckSpec? ReadHealthcheck(ConfigNode node)
    {
        if (reader.Mapping(node, "healthcheck") is not { } map)
        {
            return null;
        }

        reader.CheckKeys(map, "in healthcheck", HealthcheckKeys);
        ImmutableArray<string> test = [];
        var disabled = map["disable"] is { } d && reader.Bool(d, "healthcheck.disable") == true;
        if (map["test"] is { } testNode)
        {
            if (testNode is ScalarNode { IsNull: false } s)
            {
                test = ["CMD-SHELL", s.Value];
            }
            else if (testNode is SequenceNode)
            {
                test = reader.StringList(testNode, "healthcheck.test", allowSingle: false);
                if (test.Length == 0 || test[0] is not ("CMD" or "CMD-SHELL" or "NONE"))
                {
                    reader.Error(testNode, "healthcheck.test: a list must start with CMD, CMD-SHELL or NONE");
                }
                else if (test[0] != "NONE" && test.Length == 1)
                {
                    reader.Error(testNode, $"healthcheck.test: {test[0]} needs a command after it");
                }
            }
            else
            {
                reader.Error(testNode, $"healthcheck.test: expected a string or a sequence, got {testNode.KindName}");
            }
        }

        disabled |= test is ["NONE", ..];
        var retries = map["retries"] is { } r ? reader.Int(r, "healthcheck.retries") ?? 3 : 3;
        if (retries < 0)
        {
            reader.Error(map["retries"]!, $"healthcheck.retries must be 0 or more, got {retries}");
        }

        return new HealthcheckSpec(
            test,
            Duration(map, "interval", TimeSpan.FromSeconds(30)),
            Duration(map, "timeout", TimeSpan.FromSeconds(30)),
            retries,
            Duration(map, "start_period", TimeSpan.Zero),
            disabled)
        {
            StartInterval = Duration(map, "start_interval", TimeSpan.Zero),
        };
    }

    private TimeSpan Duration(MappingNode map, string key, TimeSpan fallback) =>
        map[key] is { } node ? reader.Duration(node, "healthcheck." + key) ?? fallback : fallback;

    // Compose: `scale` and `deploy.replicas` may both be given only when they agree.
    private int ReadReplicas(MappingNode map)
    {
        int? replicas = null;
        ConfigNode? replicasNode = null;
        if (map["deploy"] is { } deployNode && reader.Mapping(deployNode, "deploy") is { } deploy)
        {
            reader.CheckKeys(deploy, "in deploy", DeployKeys, DeployUnsupported);
            replicasNode = deploy["replicas"];
            replicas = replicasNode is null ? null : reader.Int(replicasNode, "deploy.replicas");
        }

        var scaleNode = map["scale"];
        var scale = scaleNode is null ? null : reader.Int(scaleNode, "scale");
        if (replicas < 0)
        {
            reader.Error(replicasNode!, $"deploy.replicas must be 0 or more, got {replicas}");
            replicas = null;
        }

        if (scale < 0)
        {
            reader.Error(scaleNode!, $"scale must be 0 or more, got {scale}");
            scale = null;
        }

        if (scale is not null && replicas is not null && scale != replicas)
        {
            reader.Error(scaleNode!, $"scale ({scale}) and deploy.replicas ({replicas}) disagree; set only one");
        }

        var limit = context.Limits.ReplicasPerService;
        if (replicas > limit)
        {
            reader.Error(replicasNode!, $"deploy.replicas is {replicas}; a service may have at most {limit} replicas");
            return 1;
        }

        if (scale > limit)
        {
            reader.Error(scaleNode!, $"scale is {scale}; a service may have at most {limit} replicas");
            return 1;
        }

        return replicas ?? scale ?? 1;
    }

    private ImmutableArray<string> ReadProfiles(ConfigNode node)
    {
        var profiles = reader.StringList(node, "profiles", allowSingle: false);
        foreach (var profile in profiles)
        {
            if (!ProfileName().IsMatch(profile))
            {
                reader.Error(node, $"invalid profile name \"{profile}\": use letters, digits, '.', '_' and '-', starting with a letter or digit");
            }
        }

        return [.. profiles.Distinct()];
    }

    private HooksSpec ReadHooks(string service, ConfigNode node)
    {
        if (reader.Mapping(node, "hooks") is not { } map)
        {
            return HooksSpec.None;
        }

        reader.CheckKeys(map, "in hooks", HookKeys);
        var sites = new List<(string Key, SourceLocation Location)>();
        foreach (var key in new[] { "prestart", "poststart", "prestop" })
        {
            if (map[key] is MappingNode m && m["run_on"] is ScalarNode { Value: "host" } runOn)
            {
                sites.Add(($"hooks.{key}.run_on", runOn.Location));
            }
        }

        context.HookSites[service] = sites;
        return new HooksSpec(Hook(map, "prestart"), Hook(map, "poststart"), Hook(map, "prestop"));
    }

    private Hook? Hook(MappingNode hooks, string key)
    {
        if (hooks[key] is not { } node)
        {
            return null;
        }

        if (node is not MappingNode m)
        {
            return reader.Command(node, $"hooks.{key}") is { } command ? new Hook(command, HookLocation.Service, DefaultHookTimeout) : null;
        }

        reader.CheckKeys(m, $"in hooks.{key}", HookMappingKeys);
        if (m["command"] is not { } commandNode)
        {
            reader.Error(m, $"hooks.{key}: \"command\" is required");
            return null;
        }

        var runOn = HookLocation.Service;
        if (m["run_on"] is { } runOnNode && reader.String(runOnNode, $"hooks.{key}.run_on") is { } where)
        {
            switch (where)
            {
                case "service":
                    break;
                case "host":
                    runOn = HookLocation.Host;
                    break;
                default:
                    reader.Error(runOnNode, $"hooks.{key}.run_on: expected host or service, got \"{where}\"");
                    break;
            }
        }

        var timeout = m["timeout"] is { } t ? reader.Duration(t, $"hooks.{key}.timeout") ?? DefaultHookTimeout : DefaultHookTimeout;
        return reader.Command(commandNode, $"hooks.{key}.command") is { } cmd ? new Hook(cmd, runOn, timeout) : null;
    }

    // x-nanokit-runtime is the place for per-service provider options; a runtime: mapping is the form before Compose's
    // runtime: string was read, still accepted with a warning. No provider defines an option yet, so each one given is an
    // error (an empty mapping is fine); the model keeps RuntimeOptions (empty) for the first provider that does.
    private void CheckProviderOptions(string service, MappingNode map)
    {
        var legacy = map["runtime"] as MappingNode;
        if (legacy is not null)
        {
            context.Warnings.Add(new Diagnostics.ConfigError(map.KeyNode("runtime")!.Location,
                $"warning: a runtime: mapping of provider options is deprecated (Compose's runtime: is the OCI runtime); rename it to {ProviderOptionsKey}:"));
            if (map[ProviderOptionsKey] is not null)
            {
                reader.Error(map.KeyNode(ProviderOptionsKey)!, $"{ProviderOptionsKey} and the deprecated runtime: mapping cannot both be set; keep {ProviderOptionsKey}");
            }
        }

        if ((map[ProviderOptionsKey] ?? legacy) is not { } node)
        {
            return;
        }

        var what = legacy is not null && map[ProviderOptionsKey] is null ? "runtime" : ProviderOptionsKey;
        if (node is not MappingNode options)
        {
            reader.Error(node, $"{what}: expected a mapping of provider options, got {node.KindName}");
            return;
        }

        foreach (var (key, value) in options.Entries)
        {
            if (key.Value is "pull_policy" or "network_mode")
            {
                reader.Error(key, $"{what}.{key.Value}: set {key.Value} on the service itself, as in Compose");
                continue;
            }

            reader.Error(key, $"{what}.{key.Value} in service \"{service}\": no runtime defines provider options (local, docker and kubernetes read none); remove it");
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex ProfileName();
}
