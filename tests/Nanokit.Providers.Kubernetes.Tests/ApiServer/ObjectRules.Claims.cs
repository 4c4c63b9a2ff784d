using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// PersistentVolumeClaims as the API reference and the apiserver's validation define them: spec.accessModes at least one
// of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod; spec.resources.requests.storage required and above zero
// (a quantity that does not scan never gets here: ObjectRules.Decode.cs); a new claim
// is status.phase Pending (the binder, ClaimController, binds it); on update the spec is immutable except
// resources.requests, and spec.volumeName, set by the binder, is kept.
internal static partial class ObjectRules
{
    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    private static void CheckClaim(JsonObject claim, JsonObject? current, List<(string, string, string)> causes)
    {
        if (claim["spec"] is not JsonObject spec)
        {
            claim["spec"] = spec = new JsonObject();
        }

        var modes = spec["accessModes"] as JsonArray ?? [];
        if (modes.Count == 0)
        {
            causes.Add(("spec.accessModes", "FieldValueRequired", "Required value: at least 1 access mode is required"));
        }

        foreach (var mode in modes.Select(m => m?.GetValue<string>() ?? "").Where(m => !AccessModes.Contains(m)))
        {
            causes.Add(("spec.accessModes", "FieldValueNotSupported", $"Unsupported value: \"{mode}\": supported values: {string.Join(", ", AccessModes.Select(a => $"\"{a}\""))}"));
        }

        // Decode has already refused a request that does not scan; here its sign is judged (ValidatePositiveQuantityValue).
        if (spec["resources"]?["requests"]?["storage"] is not { } storage)
        {
            causes.Add(("spec.resources[storage]", "FieldValueRequired", "Required value"));
        }
        else if (Quantity.Read(storage) is { Sign: <= 0 } read)
        {
            // The real message shows the canonical form: "0" for any zero; a negative as written (canonical when written so).
            var shown = read.Sign == 0 ? "0" : storage.GetValueKind() == System.Text.Json.JsonValueKind.String ? storage.GetValue<string>().Trim() : storage.ToJsonString();
            causes.Add(("spec.resources[storage]", "FieldValueInvalid", $"Invalid value: \"{shown}\": must be greater than zero"));
        }

        if (current is null)
        {
            claim["status"] = new JsonObject { ["phase"] = "Pending" };
            return;
        }

        spec["volumeName"] = current["spec"]!["volumeName"]?.DeepClone();
        var before = current["spec"]!.DeepClone().AsObject();
        var after = spec.DeepClone().AsObject();
        before.Remove("resources");
        after.Remove("resources");
        if (!JsonNode.DeepEquals(before, after))
        {
            causes.Add(("spec", "FieldValueForbidden", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
        }
    }
}
