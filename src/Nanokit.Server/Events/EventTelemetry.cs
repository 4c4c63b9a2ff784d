using System.Diagnostics.Metrics;
using Nanokit.Reconciler;

namespace Nanokit.Server.Events;

/// <summary>The watches' counters, on the reconciler's meter (so /metrics serves them).</summary>
internal static class EventTelemetry
{
    public static readonly Counter<long> Reads = ReconcilerTelemetry.Meter.CreateCounter<long>(
        "nanokit.events.reads", description: "Queries of project event logs this node made for its watches");
}
