using System.Diagnostics;
using System.Text.Json;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary><c>nkapp up --trace FILE</c>: every finished span of the run as one JSON object per line.</summary>
internal sealed class TraceFile : IDisposable
{
    private readonly Lock gate = new();
    private readonly StreamWriter writer;
    private readonly ActivityListener listener;

    public TraceFile(string path)
    {
        writer = new StreamWriter(path, append: false);
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ReconcilerTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Write,
        };
        ActivitySource.AddActivityListener(listener);
    }

    public void Dispose()
    {
        listener.Dispose();
        lock (gate)
        {
            writer.Dispose();
        }
    }

    private void Write(Activity span)
    {
        var line = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["name"] = span.OperationName,
            ["traceId"] = span.TraceId.ToHexString(),
            ["spanId"] = span.SpanId.ToHexString(),
            ["parentSpanId"] = span.ParentSpanId == default ? null : span.ParentSpanId.ToHexString(),
            ["start"] = span.StartTimeUtc,
            ["durationMs"] = span.Duration.TotalMilliseconds,
            ["status"] = span.Status.ToString(),
            ["statusDescription"] = span.StatusDescription,
            ["tags"] = span.TagObjects.ToDictionary(t => t.Key, t => t.Value?.ToString()),
        });
        lock (gate)
        {
            writer.WriteLine(line);
        }
    }
}
