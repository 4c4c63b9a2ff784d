using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// Decoding, before any validation: the real server reads the body into its Go type, and a field that does not decode —
// a resource.Quantity that does not scan, wherever it is — fails the whole request with 400 BadRequest, "KIND in version
// "v1" cannot be handled as a KIND: ERROR", naming no field (the handlers' transformDecodeError). Only the quantity fields
// of the kinds Nanokit sends are decoded here: a pod's container resources and a claim's resources and capacity.
internal static partial class ObjectRules
{
    public static void Decode(string resource, JsonObject obj)
    {
        var quantities = resource switch
        {
            "pods" => (obj["spec"]?["containers"] as JsonArray ?? []).SelectMany(c => Maps(c?["resources"], "limits", "requests")),
            "persistentvolumeclaims" => Maps(obj["spec"]?["resources"], "limits", "requests").Concat(Maps(obj["status"], "capacity")),
            _ => [],
        };
        foreach (var quantity in quantities)
        {
            if (Quantity.Read(quantity).Error is { } error)
            {
                var kind = KindOf(resource);
                throw ApiError.BadRequest($"{kind} in version \"v1\" cannot be handled as a {kind}: {error}");
            }
        }
    }

    private static IEnumerable<JsonNode?> Maps(JsonNode? parent, params string[] keys) =>
        keys.SelectMany(k => parent?[k] is JsonObject map ? map.Select(e => e.Value) : []);
}
