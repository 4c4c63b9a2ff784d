using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary>OTLP export of the reconciler's spans and metrics, on when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads the standard OTEL_* variables itself).</summary>
internal static class Otlp
{
    public static IDisposable? StartIfConfigured(IReadOnlyDictionary<string, string> environment)
    {
        if (!environment.TryGetValue("OTEL_EXPORTER_OTLP_ENDPOINT", out var endpoint) || endpoint.Length == 0)
        {
            return null;
        }

        var traces = Sdk.CreateTracerProviderBuilder().AddSource(ReconcilerTelemetry.SourceName).AddOtlpExporter().Build();
        var metrics = Sdk.CreateMeterProviderBuilder().AddMeter(ReconcilerTelemetry.SourceName).AddOtlpExporter().Build();
        return new Both(traces, metrics);
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
