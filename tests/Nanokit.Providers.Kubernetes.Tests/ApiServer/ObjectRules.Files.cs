using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// Secrets, ConfigMaps and the pod volumes that project them, as the API reference and the apiserver's validation define
// them: data keys are config keys, a Secret's data is base64 (stringData is write-only and folded into data), a Secret's
// type defaults to Opaque and never changes, a ConfigMap key lives in data or binaryData, not both; the whole object holds
// at most 1 MiB. A pod volume has a DNS-1123 label name and exactly one source (secret, configMap, emptyDir with medium ""
// or Memory or HugePages, persistentVolumeClaim with a claimName are served),
// items have relative paths without "..", and modes are 0..0777; a volumeMount names a volume of the pod, has a
// mountPath, and a relative subPath without "..".
internal static partial class ObjectRules
{
    private const int MaxDataBytes = 1024 * 1024;
    private const string KeyRule = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

    private static void CheckSecret(JsonObject secret, JsonObject? current, List<(string, string, string)> causes)
    {
        secret["type"] ??= "Opaque";
        if (current is not null && current["type"]!.GetValue<string>() != secret["type"]!.GetValue<string>())
        {
            causes.Add(("type", "FieldValueInvalid", $"Invalid value: \"{secret["type"]}\": field is immutable"));
        }

        var data = secret["data"] as JsonObject ?? [];
        if (secret["stringData"] is JsonObject plain)
        {
            foreach (var (key, value) in plain.ToList())
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
            }

            secret.Remove("stringData");
        }

        var size = 0L;
        foreach (var (key, value) in data)
        {
            CheckKey(key, "data", causes);
            try
            {
                size += Convert.FromBase64String(value?.GetValue<string>() ?? "").Length;
            }
            catch (FormatException)
            {
                throw ApiError.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0 (key {key})");
            }
        }

        if (size > MaxDataBytes)
        {
            causes.Add(("data", "FieldValueTooLong", $"Too long: must have at most {MaxDataBytes} bytes"));
        }

        if (data.Count > 0)
        {
            secret["data"] = data;
        }
    }

    private static void CheckConfigMap(JsonObject config, List<(string, string, string)> causes)
    {
        var size = 0L;
        var text = config["data"] as JsonObject ?? [];
        var binary = config["binaryData"] as JsonObject ?? [];
        foreach (var (key, value) in text)
        {
            CheckKey(key, "data", causes);
            size += Encoding.UTF8.GetByteCount(value?.GetValue<string>() ?? "");
        }

        foreach (var (key, value) in binary)
        {
            CheckKey(key, "binaryData", causes);
            if (text.ContainsKey(key))
            {
                causes.Add(("binaryData", "FieldValueInvalid", $"Invalid value: \"{key}\": duplicate of key present in data"));
            }

            try
            {
                size += Convert.FromBase64String(value?.GetValue<string>() ?? "").Length;
            }
            catch (FormatException)
            {
                throw ApiError.BadRequest($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 data at input byte 0 (key {key})");
            }
        }

        if (size > MaxDataBytes)
        {
            causes.Add(("", "FieldValueTooLong", $"Too long: must have at most {MaxDataBytes} bytes"));
        }
    }

    private static void CheckVolumes(JsonObject spec, JsonArray containers, List<(string, string, string)> causes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var volumes = spec["volumes"] as JsonArray ?? [];
        for (var v = 0; v < volumes.Count; v++)
        {
            var volume = volumes[v]!.AsObject();
            var field = $"spec.volumes[{v}]";
            var name = volume["name"]?.GetValue<string>() ?? "";
            if (!Dns1123Label().IsMatch(name))
            {
                causes.Add(($"{field}.name", name.Length == 0 ? "FieldValueRequired" : "FieldValueInvalid", name.Length == 0 ? "Required value" : $"Invalid value: \"{name}\""));
            }
            else if (!names.Add(name))
            {
                causes.Add(($"{field}.name", "FieldValueDuplicate", $"Duplicate value: \"{name}\""));
            }

            var sources = new[] { "secret", "configMap", "emptyDir", "persistentVolumeClaim" }.Where(s => volume[s] is not null).ToList();
            if (sources.Count != 1)
            {
                causes.Add((field, sources.Count == 0 ? "FieldValueRequired" : "FieldValueForbidden", sources.Count == 0 ? "Required value: must specify a volume type" : "Forbidden: may not specify more than 1 volume type"));
                continue;
            }

            if (volume["secret"] is JsonObject secret)
            {
                CheckProjection(secret, $"{field}.secret", secret["secretName"], "secretName", causes);
            }

            if (volume["configMap"] is JsonObject config)
            {
                CheckProjection(config, $"{field}.configMap", config["name"], "name", causes);
            }

            if (volume["persistentVolumeClaim"] is JsonObject claim && claim["claimName"]?.GetValue<string>() is not { Length: > 0 })
            {
                causes.Add(($"{field}.persistentVolumeClaim.claimName", "FieldValueRequired", "Required value"));
            }

            if (volume["emptyDir"]?["medium"]?.GetValue<string>() is { } medium && medium is not ("" or "Memory" or "HugePages"))
            {
                causes.Add(($"{field}.emptyDir.medium", "FieldValueNotSupported", $"Unsupported value: \"{medium}\": supported values: \"\", \"HugePages\", \"Memory\""));
            }
        }

        for (var i = 0; i < containers.Count; i++)
        {
            var mounts = containers[i]!["volumeMounts"] as JsonArray ?? [];
            for (var m = 0; m < mounts.Count; m++)
            {
                var field = $"spec.containers[{i}].volumeMounts[{m}]";
                var mount = mounts[m]!.AsObject();
                var name = mount["name"]?.GetValue<string>() ?? "";
                if (!names.Contains(name))
                {
                    causes.Add(($"{field}.name", "FieldValueNotFound", $"Not found: \"{name}\""));
                }

                if (string.IsNullOrEmpty(mount["mountPath"]?.GetValue<string>()))
                {
                    causes.Add(($"{field}.mountPath", "FieldValueRequired", "Required value"));
                }

                if (mount["subPath"]?.GetValue<string>() is { Length: > 0 } subPath)
                {
                    CheckRelative(subPath, $"{field}.subPath", causes);
                }
            }
        }
    }

    private static void CheckProjection(JsonObject source, string field, JsonNode? reference, string referenceField, List<(string, string, string)> causes)
    {
        if (string.IsNullOrEmpty(reference?.GetValue<string>()))
        {
            causes.Add(($"{field}.{referenceField}", "FieldValueRequired", "Required value"));
        }

        CheckMode(source["defaultMode"], $"{field}.defaultMode", causes);
        var items = source["items"] as JsonArray ?? [];
        for (var k = 0; k < items.Count; k++)
        {
            var item = items[k]!.AsObject();
            if (string.IsNullOrEmpty(item["key"]?.GetValue<string>()))
            {
                causes.Add(($"{field}.items[{k}].key", "FieldValueRequired", "Required value"));
            }

            if (item["path"]?.GetValue<string>() is not { Length: > 0 } path)
            {
                causes.Add(($"{field}.items[{k}].path", "FieldValueRequired", "Required value"));
            }
            else
            {
                CheckRelative(path, $"{field}.items[{k}].path", causes);
            }

            CheckMode(item["mode"], $"{field}.items[{k}].mode", causes);
        }
    }

    private static void CheckMode(JsonNode? mode, string field, List<(string, string, string)> causes)
    {
        if (mode?.GetValue<int>() is { } value && value is < 0 or > 0x1FF)
        {
            causes.Add((field, "FieldValueInvalid", $"Invalid value: {value}: must be a number between 0 and 0777 (octal), both inclusive"));
        }
    }

    private static void CheckRelative(string path, string field, List<(string, string, string)> causes)
    {
        if (path.StartsWith('/'))
        {
            causes.Add((field, "FieldValueInvalid", $"Invalid value: \"{path}\": must be a relative path"));
        }
        else if (path.Split('/').Contains(".."))
        {
            causes.Add((field, "FieldValueInvalid", $"Invalid value: \"{path}\": must not contain '..'"));
        }
    }

    private static void CheckKey(string key, string field, List<(string, string, string)> causes)
    {
        if (key.Length is 0 or > 253 || !ConfigKey().IsMatch(key) || key is "." or "..")
        {
            causes.Add(($"{field}[{key}]", "FieldValueInvalid", $"Invalid value: \"{key}\": {KeyRule}"));
        }
    }

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKey();
}
