using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nanokit.Core.Plan;

/// <summary>
/// The machine rendering of a plan, a stable shape (NO_OP actions included, so a reader sees every replica):
/// <code>
/// {"project":"shop", "runtime":"docker (declared)",
///  "layers":[{"index":0,"actions":[{"service":"db","replica":1,"action":"CREATE","cause":"not deployed"}]}],
///  "summary":{"add":1,"change":0,"destroy":0}}
/// </code>
/// <c>action</c> is one of <c>CREATE</c>, <c>START</c>, <c>UPDATE</c>, <c>DELETE</c>, <c>STOP</c>, <c>RESTART</c>, <c>NO_OP</c>;
/// the summary counts as <see cref="PlanSummary"/> documents.
/// </summary>
public static class PlanJsonRenderer
{
    public static string Render(ServicePlan plan, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = indented,

            // Causes read "a -> b"; the default encoder would write "a -\u003E b". The output is never embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            Write(plan, writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Write(ServicePlan plan, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("project", plan.Project);
        if (plan.Runtime is not null)
        {
            writer.WriteString("runtime", plan.Runtime);
        }
        writer.WriteStartArray("layers");
        foreach (var layer in plan.Layers)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", layer.Index);
            writer.WriteStartArray("actions");
            foreach (var action in layer.Actions)
            {
                writer.WriteStartObject();
                writer.WriteString("service", action.Service);
                writer.WriteNumber("replica", action.Replica);
                writer.WriteString("action", WireName(action.Action));
                writer.WriteString("cause", action.Cause);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartObject("summary");
        writer.WriteNumber("add", plan.Summary.Add);
        writer.WriteNumber("change", plan.Summary.Change);
        writer.WriteNumber("destroy", plan.Summary.Destroy);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>The name of an action in JSON: <c>CREATE</c>, <c>START</c>, <c>UPDATE</c>, <c>DELETE</c>, <c>STOP</c>, <c>RESTART</c>, <c>NO_OP</c>.</summary>
    public static string WireName(ActionType action) => action switch
    {
        ActionType.NoOp => "NO_OP",
        ActionType.Create => "CREATE",
        ActionType.Start => "START",
        ActionType.Update => "UPDATE",
        ActionType.Delete => "DELETE",
        ActionType.Stop => "STOP",
        ActionType.Restart => "RESTART",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown action"),
    };

    /// <summary>
    /// The verb people read, the same in <c>plan</c>, <c>up</c> and <c>status</c>: create, recreate, start, stop,
    /// restart, destroy (and "up to date" for NO_OP).
    /// </summary>
    public static string Verb(ActionType action) => action switch
    {
        ActionType.NoOp => "up to date",
        ActionType.Create => "create",
        ActionType.Update => "recreate",
        ActionType.Start => "start",
        ActionType.Stop => "stop",
        ActionType.Restart => "restart",
        ActionType.Delete => "destroy",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "unknown action"),
    };
}
