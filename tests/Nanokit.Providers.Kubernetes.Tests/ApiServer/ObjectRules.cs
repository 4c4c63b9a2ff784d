using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// What the real API server validates and defaults for the resources served, with its error wording: names
/// (DNS-1123 subdomain for pods, secrets and configmaps, DNS-1123 label for namespaces, DNS-1035 label for services), label and annotation keys
/// and values, a pod's containers (name, image, ports, probes: ObjectRules.Probes.cs) and volumes, a service's ports, secrets and configmaps (ObjectRules.Files.cs); pods get restartPolicy Always, a 30 s
/// terminationGracePeriodSeconds and status.phase Pending; services get a clusterIP and TCP ports.
/// On update a pod's spec may change only its images, and a service's clusterIP never changes.
/// </summary>
internal static partial class ObjectRules
{
    private static int nextClusterIp = 10;

    public static JsonObject Admit(string resource, string? ns, JsonObject obj, JsonObject? current = null)
    {
        var kind = KindOf(resource);
        var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "";
        var causes = new List<(string, string, string)>();
        if (obj["metadata"] is not JsonObject meta)
        {
            obj["metadata"] = meta = new JsonObject();
        }

        if (ns is not null && meta["namespace"]?.GetValue<string>() is { } sentNs && sentNs != ns)
        {
            throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (ns is not null)
        {
            meta["namespace"] = ns;
        }

        CheckName(resource, name, causes);
        CheckMap(meta["labels"], "metadata.labels", values: true, causes);
        CheckMap(meta["annotations"], "metadata.annotations", values: false, causes);
        switch (resource)
        {
            case "pods":
                CheckPod(obj, causes);
                break;
            case "services":
                CheckService(obj, creating: current is null, causes);
                break;
            case "secrets":
                CheckSecret(obj, current, causes);
                break;
            case "configmaps":
                CheckConfigMap(obj, causes);
                break;
            case "persistentvolumeclaims":
                CheckClaim(obj, current, causes);
                break;
            case "namespaces":
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
        }

        if (causes.Count > 0)
        {
            throw ApiError.Invalid(kind, name, causes);
        }

        obj["apiVersion"] = "v1";
        obj["kind"] = kind;
        return obj;
    }

    /// <summary>PUT: the stored object for (current, sent), keeping status and identity, refusing immutable fields.</summary>
    public static JsonObject Merge(string resource, JsonObject current, JsonObject sent)
    {
        var name = current["metadata"]!["name"]!.GetValue<string>();
        if (sent["metadata"]?["name"]?.GetValue<string>() != name)
        {
            throw ApiError.BadRequest($"the name of the object ({sent["metadata"]?["name"]}) does not match the name on the URL ({name})");
        }

        Admit(resource, current["metadata"]!["namespace"]?.GetValue<string>(), sent, current);
        var sentMeta = sent["metadata"]!.AsObject();
        foreach (var kept in new[] { "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            sentMeta[kept] = current["metadata"]![kept]?.DeepClone();
        }

        if (resource == "pods")
        {
            var before = current["spec"]!.DeepClone().AsObject();
            var after = sent["spec"]!.DeepClone().AsObject();
            foreach (var spec in new[] { before, after })
            {
                foreach (var container in spec["containers"]!.AsArray())
                {
                    container!.AsObject().Remove("image");
                }
            }

            before["nodeName"] = null;
            after["nodeName"] = null;
            if (!JsonNode.DeepEquals(before, after))
            {
                throw ApiError.Invalid("Pod", name, [("spec", "FieldValueForbidden", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")]);
            }

            sent["spec"]!["nodeName"] = current["spec"]!["nodeName"]?.DeepClone();
        }

        if (resource == "services")
        {
            var was = current["spec"]!["clusterIP"]!.GetValue<string>();
            var asked = sent["spec"]!["clusterIP"]?.GetValue<string>();
            if (asked is { Length: > 0 } && asked != was)
            {
                throw ApiError.Invalid("Service", name, [("spec.clusterIP", "FieldValueInvalid", $"Invalid value: \"{asked}\": field is immutable")]);
            }

            sent["spec"]!["clusterIP"] = was;
        }

        sent["status"] = current["status"]?.DeepClone();
        return sent;
    }

    public static string KindOf(string resource) => resource switch
    {
        "pods" => "Pod",
        "services" => "Service",
        "namespaces" => "Namespace",
        "secrets" => "Secret",
        "configmaps" => "ConfigMap",
        "persistentvolumeclaims" => "PersistentVolumeClaim",
        "events" => "Event",
        _ => throw new ApiError(404, "NotFound", "the server could not find the requested resource"),
    };

    private static void CheckName(string resource, string name, List<(string, string, string)> causes)
    {
        if (name.Length == 0)
        {
            causes.Add(("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
            return;
        }

        var (ok, rule) = resource switch
        {
            "pods" or "secrets" or "configmaps" or "persistentvolumeclaims" or "events" => (Subdomain().IsMatch(name) && name.Length <= 253, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
            "services" => (Dns1035().IsMatch(name) && name.Length <= 63, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"),
            _ => (Dns1123Label().IsMatch(name) && name.Length <= 63, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"),
        };
        if (!ok)
        {
            causes.Add(("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": {rule}"));
        }
    }

    private static void CheckMap(JsonNode? node, string field, bool values, List<(string, string, string)> causes)
    {
        if (node is not JsonObject map)
        {
            return;
        }

        foreach (var (key, value) in map)
        {
            var slash = key.LastIndexOf('/');
            var prefix = slash < 0 ? null : key[..slash];
            var local = slash < 0 ? key : key[(slash + 1)..];
            if (local.Length is 0 or > 63 || !QualifiedName().IsMatch(local) || prefix is not null && (prefix.Length > 253 || !Subdomain().IsMatch(prefix)))
            {
                causes.Add(($"{field}", "FieldValueInvalid", $"Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
            }

            var text = value?.GetValue<string>() ?? "";
            if (values && text.Length > 0 && (text.Length > 63 || !QualifiedName().IsMatch(text)))
            {
                causes.Add(($"{field}", "FieldValueInvalid", $"Invalid value: \"{text}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
            }
        }
    }

    private static void CheckPod(JsonObject pod, List<(string, string, string)> causes)
    {
        if (pod["spec"] is not JsonObject spec || spec["containers"] is not JsonArray { Count: > 0 } containers)
        {
            causes.Add(("spec.containers", "FieldValueRequired", "Required value"));
            return;
        }

        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30L;
        if (spec["restartPolicy"]!.GetValue<string>() is not ("Always" or "OnFailure" or "Never") and var policy)
        {
            causes.Add(("spec.restartPolicy", "FieldValueNotSupported", $"Unsupported value: \"{policy}\": supported values: \"Always\", \"Never\", \"OnFailure\""));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i]!.AsObject();
            var name = container["name"]?.GetValue<string>() ?? "";
            if (name.Length == 0)
            {
                causes.Add(($"spec.containers[{i}].name", "FieldValueRequired", "Required value"));
            }
            else if (!Dns1123Label().IsMatch(name) || !names.Add(name))
            {
                causes.Add(($"spec.containers[{i}].name", names.Contains(name) ? "FieldValueDuplicate" : "FieldValueInvalid", $"Invalid value: \"{name}\""));
            }

            if (string.IsNullOrEmpty(container["image"]?.GetValue<string>()))
            {
                causes.Add(($"spec.containers[{i}].image", "FieldValueRequired", "Required value"));
            }

            container["imagePullPolicy"] ??= "IfNotPresent";
            CheckProbes(container, $"spec.containers[{i}]", causes);
            if (container["ports"] is JsonArray ports)
            {
                for (var p = 0; p < ports.Count; p++)
                {
                    var port = ports[p]?["containerPort"]?.GetValue<int>() ?? 0;
                    if (port is < 1 or > 65535)
                    {
                        causes.Add(($"spec.containers[{i}].ports[{p}].containerPort", "FieldValueInvalid", $"Invalid value: {port}: must be between 1 and 65535, inclusive"));
                    }

                    ports[p]!["protocol"] ??= "TCP";
                }
            }
        }

        CheckVolumes(spec, containers, causes);
        pod["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
    }

    private static void CheckService(JsonObject service, bool creating, List<(string, string, string)> causes)
    {
        if (service["spec"] is not JsonObject spec)
        {
            service["spec"] = spec = new JsonObject();
        }

        spec["type"] ??= "ClusterIP";
        if (creating && spec["clusterIP"] is null)
        {
            spec["clusterIP"] = $"10.96.0.{Interlocked.Increment(ref nextClusterIp)}";
        }

        if (spec["ports"] is not JsonArray { Count: > 0 } ports)
        {
            causes.Add(("spec.ports", "FieldValueRequired", "Required value"));
            return;
        }

        for (var p = 0; p < ports.Count; p++)
        {
            var port = ports[p]!.AsObject();
            var number = port["port"]?.GetValue<int>() ?? 0;
            if (number is < 1 or > 65535)
            {
                causes.Add(($"spec.ports[{p}].port", "FieldValueInvalid", $"Invalid value: {number}: must be between 1 and 65535, inclusive"));
            }

            if (ports.Count > 1 && string.IsNullOrEmpty(port["name"]?.GetValue<string>()))
            {
                causes.Add(($"spec.ports[{p}].name", "FieldValueRequired", "Required value"));
            }

            port["protocol"] ??= "TCP";
            port["targetPort"] ??= number;
        }

        CheckMap(spec["selector"], "spec.selector", values: true, causes);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex QualifiedName();
}
