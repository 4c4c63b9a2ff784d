using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// A refused request, answered as the real API server answers it: a <c>Status</c> object (kind, apiVersion, status: Failure,
/// message, reason, details {name, kind, causes}, code) with the same HTTP code.
/// </summary>
internal sealed class ApiError(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject Status() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = details?.DeepClone(),
        ["code"] = Code,
    };

    public static ApiError NotFound(string resource, string name) =>
        new(404, "NotFound", $"{resource} \"{name}\" not found", new JsonObject { ["name"] = name, ["kind"] = resource });

    public static ApiError AlreadyExists(string resource, string name) =>
        new(409, "AlreadyExists", $"{resource} \"{name}\" already exists", new JsonObject { ["name"] = name, ["kind"] = resource });

    public static ApiError Conflict(string resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            new JsonObject { ["name"] = name, ["kind"] = resource });

    public static ApiError BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>410 with reason Expired, as a watch from a compacted resourceVersion is answered (inside the watch, as an ERROR event).</summary>
    public static ApiError Expired(long asked, long oldest) => new(410, "Expired", $"too old resource version: {asked} ({oldest})");

    /// <summary>422 Invalid, one cause per bad field: <c>Pod "x" is invalid: [spec.containers[0].image: Required value, …]</c>.</summary>
    public static ApiError Invalid(string kind, string name, IReadOnlyList<(string Field, string Reason, string Message)> causes)
    {
        var text = causes.Count == 1 ? $"{causes[0].Field}: {causes[0].Message}" : "[" + string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}")) + "]";
        var list = new JsonArray();
        foreach (var (field, reason, message) in causes)
        {
            list.Add(new JsonObject { ["reason"] = reason, ["message"] = message, ["field"] = field });
        }

        return new ApiError(422, "Invalid", $"{kind} \"{name}\" is invalid: {text}", new JsonObject { ["name"] = name, ["kind"] = kind, ["causes"] = list });
    }
}
