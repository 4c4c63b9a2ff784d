using System.Collections.Immutable;
using System.Globalization;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

// deploy.resources, deploy.update_config, pull_policy and network_mode: how a runtime runs the replicas.
internal sealed partial class ServiceReader
{
    private static readonly string[] ResourcesKeys = ["limits", "reservations"];
    private static readonly string[] ReservationsKeys = ["cpus", "memory"];
    private static readonly HashSet<string> ReservationsUnsupported = ["devices", "generic_resources"];
    private static readonly string[] RestartPolicyKeys = ["condition", "max_attempts", "delay"];
    private static readonly HashSet<string> RestartPolicyUnsupported = ["window"];
    private static readonly string[] RestartConditions = ["none", "on-failure", "any"];
    private static readonly string[] LimitsKeys = ["cpus", "memory", "pids"];
    private static readonly string[] UpdateConfigKeys = ["parallelism", "order"];
    private static readonly HashSet<string> UpdateConfigUnsupported = ["delay", "failure_action", "monitor", "max_failure_ratio"];
    private static readonly string[] PullPolicies = ["missing", "if_not_present", "always", "never"];
    private static readonly string[] UpdateOrders = ["stop-first", "start-first"];

    private (ResourceLimits? Limits, ResourceReservations? Reservations, UpdatePolicy Update) ReadDeploy(string service, MappingNode deploy, ImmutableArray<PortMapping> ports)
    {
        ResourceLimits? limits = null;
        ResourceReservations? reservations = null;
        if (deploy["resources"] is { } resourcesNode && reader.Mapping(resourcesNode, "deploy.resources") is { } resources)
        {
            reader.CheckKeys(resources, "in deploy.resources", ResourcesKeys);
            if (resources["limits"] is { } limitsNode && reader.Mapping(limitsNode, "deploy.resources.limits") is { } map)
            {
                reader.CheckKeys(map, "in deploy.resources.limits", LimitsKeys);
                var cpus = map["cpus"] is { } c ? Cpus(c, "deploy.resources.limits.cpus") : null;
                var memory = map["memory"] is { } m ? Bytes(m, "deploy.resources.limits.memory") : null;
                var pids = map["pids"] is { } p ? Positive(p, "deploy.resources.limits.pids") : null;
                limits = cpus is null && memory is null && pids is null ? null : new ResourceLimits(cpus, memory, pids);
            }

            if (resources["reservations"] is { } reservedNode && reader.Mapping(reservedNode, "deploy.resources.reservations") is { } reserved)
            {
                reader.CheckKeys(reserved, "in deploy.resources.reservations", ReservationsKeys, ReservationsUnsupported);
                var cpus = reserved["cpus"] is { } c ? Cpus(c, "deploy.resources.reservations.cpus") : null;
                if (cpus is not null)
                {
                    context.ReservedCpuSites[service] = reserved["cpus"]!.Location;
                }

                var memory = reserved["memory"] is { } m ? Bytes(m, "deploy.resources.reservations.memory") : null;
                reservations = cpus is null && memory is null ? null : new ResourceReservations(cpus, memory);
            }
        }

        var update = UpdatePolicy.Default;
        if (deploy["update_config"] is { } updateNode && reader.Mapping(updateNode, "deploy.update_config") is { } updateMap)
        {
            reader.CheckKeys(updateMap, "in deploy.update_config", UpdateConfigKeys, UpdateConfigUnsupported);
            var parallelism = updateMap["parallelism"] is { } p ? Positive(p, "deploy.update_config.parallelism") : null;
            var order = UpdateOrder.StopFirst;
            if (updateMap["order"] is { } orderNode && reader.String(orderNode, "deploy.update_config.order") is { } text)
            {
                order = text switch
                {
                    "stop-first" => UpdateOrder.StopFirst,
                    "start-first" => UpdateOrder.StartFirst,
                    _ => Invalid(orderNode, "deploy.update_config.order", text, UpdateOrders, UpdateOrder.StopFirst),
                };
                if (order == UpdateOrder.StartFirst && ports.FirstOrDefault(p => p.HostPort is not null) is { } published)
                {
                    // Old and new replica would both bind it: the replacement could never start.
                    reader.Error(orderNode, $"deploy.update_config.order: start-first cannot replace a replica that publishes host port {published.HostPort}; use stop-first or leave the host port out");
                }
            }

            update = new UpdatePolicy(parallelism, order);
        }

        return (limits, reservations, update);
    }

    // deploy.restart_policy: condition none | on-failure | any (the default), max_attempts (no bound by default), delay (none by default).
    private (RestartMode Mode, int? Attempts, TimeSpan Delay)? ReadRestartPolicy(ConfigNode node)
    {
        if (reader.Mapping(node, "deploy.restart_policy") is not { } map)
        {
            return null;
        }

        reader.CheckKeys(map, "in deploy.restart_policy", RestartPolicyKeys, RestartPolicyUnsupported);
        var mode = RestartMode.Always;
        if (map["condition"] is { } conditionNode && reader.String(conditionNode, "deploy.restart_policy.condition") is { } condition)
        {
            mode = condition switch
            {
                "none" => RestartMode.No,
                "on-failure" => RestartMode.OnFailure,
                "any" => RestartMode.Always,
                _ => Invalid(conditionNode, "deploy.restart_policy.condition", condition, RestartConditions, RestartMode.Always),
            };
        }

        int? attempts = null;
        if (map["max_attempts"] is { } attemptsNode && reader.Int(attemptsNode, "deploy.restart_policy.max_attempts") is { } max)
        {
            if (max < 0)
            {
                reader.Error(attemptsNode, $"deploy.restart_policy.max_attempts: expected a count of attempts (0 or more), got {max}");
            }
            else
            {
                attempts = max;
            }
        }

        var delay = map["delay"] is { } delayNode ? reader.Duration(delayNode, "deploy.restart_policy.delay") ?? TimeSpan.Zero : TimeSpan.Zero;
        return (mode, attempts, delay);
    }

    private PullPolicy ReadPullPolicy(ConfigNode node)
    {
        var text = reader.String(node, "pull_policy");
        return text switch
        {
            null => PullPolicy.Missing,
            "missing" or "if_not_present" => PullPolicy.Missing,
            "always" => PullPolicy.Always,
            "never" => PullPolicy.Never,
            "build" => Unsupported(node),
            _ => Invalid(node, "pull_policy", text, PullPolicies, PullPolicy.Missing),
        };

        PullPolicy Unsupported(ConfigNode at)
        {
            reader.Error(at, "pull_policy: \"build\" is not supported (nanokit runs existing images; build them first)");
            return PullPolicy.Missing;
        }
    }

    private string? ReadNetworkMode(ConfigNode node)
    {
        var text = reader.String(node, "network_mode");
        if (text is null)
        {
            return null;
        }

        if (text.Length == 0 || text.Any(char.IsWhiteSpace))
        {
            reader.Error(node, $"network_mode: invalid value \"{text}\" (none, host, bridge, container:ID or a network name)");
            return null;
        }

        if (text.StartsWith("service:", StringComparison.Ordinal))
        {
            reader.Error(node, $"network_mode: \"{text}\" is not supported yet; use a network name or container:ID");
            return null;
        }

        return text;
    }

    private T Invalid<T>(ConfigNode node, string what, string value, string[] allowed, T fallback)
    {
        var hint = Suggest.Closest(value, allowed) is { } close ? $"; did you mean \"{close}\"?" : "";
        reader.Error(node, $"{what}: \"{value}\" is not one of {string.Join(", ", allowed)}{hint}");
        return fallback;
    }

    private double? Cpus(ConfigNode node, string what)
    {
        if (node is ScalarNode { IsNull: false } s
            && double.TryParse(s.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus)
            && cpus > 0 && double.IsFinite(cpus))
        {
            return cpus;
        }

        reader.Error(node, $"{what}: expected a positive number of CPUs such as 0.5 or 2, got {NodeReader.Describe(node)}");
        return null;
    }

    private int? Positive(ConfigNode node, string what)
    {
        var value = reader.Int(node, what);
        if (value is <= 0)
        {
            reader.Error(node, $"{what} must be 1 or more, got {value}");
            return null;
        }

        return value;
    }

    /// <summary>Compose's byte values: a plain number of bytes, or a number with b, k, m or g (optionally followed by b), any case.</summary>
    private long? Bytes(ConfigNode node, string what)
    {
        if (node is ScalarNode { IsNull: false } s && TryParseBytes(s.Value, out var bytes) && bytes > 0)
        {
            return bytes;
        }

        reader.Error(node, $"{what}: expected a size such as 512m, 1g or 1048576, got {NodeReader.Describe(node)}");
        return null;
    }

    internal static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var value = text.Trim().ToLowerInvariant();
        if (value.EndsWith('b') && value.Length > 1 && char.IsLetter(value[^2]))
        {
            value = value[..^1];
        }

        long unit = value.Length == 0 ? 1 : value[^1] switch
        {
            'b' => 1,
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            _ => 0,
        };
        var digits = unit == 0 ? value : value[..^1];
        unit = unit == 0 ? 1 : unit;
        if (!double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number * unit > long.MaxValue)
        {
            return false;
        }

        bytes = (long)(number * unit);
        return true;
    }
}
