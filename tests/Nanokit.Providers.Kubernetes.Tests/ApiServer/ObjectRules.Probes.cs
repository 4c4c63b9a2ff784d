using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// A container's readinessProbe and startupProbe as the API server defaults and validates them (SetDefaults_Probe, then
// validateProbe): an unset or zero timeoutSeconds becomes 1, periodSeconds 10, successThreshold 1, failureThreshold 3;
// then each of those and initialDelaySeconds must be 0 or more, the probe must name exactly one handler (exec with a
// command, here: the one handler Nanokit sends), and a startupProbe's successThreshold must be 1.
internal static partial class ObjectRules
{
    private static readonly (string Key, int Default)[] ProbeDefaults = [("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)];

    private static void CheckProbes(JsonObject container, string at, List<(string, string, string)> causes)
    {
        foreach (var kind in new[] { "readinessProbe", "startupProbe" })
        {
            if (container[kind] is not JsonObject probe)
            {
                continue;
            }

            var field = $"{at}.{kind}";
            foreach (var (key, value) in ProbeDefaults)
            {
                if ((probe[key]?.GetValue<int>() ?? 0) == 0)
                {
                    probe[key] = value;
                }
            }

            foreach (var key in ProbeDefaults.Select(d => d.Key).Prepend("initialDelaySeconds"))
            {
                if (probe[key]?.GetValue<int>() is < 0 and var negative)
                {
                    causes.Add(($"{field}.{key}", "FieldValueInvalid", $"Invalid value: {negative}: must be greater than or equal to 0"));
                }
            }

            var handlers = new[] { "exec", "httpGet", "tcpSocket", "grpc" }.Count(h => probe[h] is not null);
            if (handlers == 0)
            {
                causes.Add((field, "FieldValueRequired", "Required value: must specify a handler type"));
            }
            else if (handlers > 1)
            {
                causes.Add((field, "FieldValueForbidden", "Forbidden: may not specify more than 1 handler type"));
            }
            else if (probe["exec"] is JsonObject exec && exec["command"] is not JsonArray { Count: > 0 })
            {
                causes.Add(($"{field}.exec.command", "FieldValueRequired", "Required value"));
            }

            if (kind == "startupProbe" && probe["successThreshold"]!.GetValue<int>() is not 1 and var threshold)
            {
                causes.Add(($"{field}.successThreshold", "FieldValueInvalid", $"Invalid value: {threshold}: must be 1"));
            }
        }
    }
}
