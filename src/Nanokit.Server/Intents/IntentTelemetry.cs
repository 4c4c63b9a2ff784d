using System.Diagnostics.Metrics;
using Nanokit.Reconciler;

namespace Nanokit.Server.Intents;

/// <summary>
/// The intent path's counters, on the reconciler's meter (so /metrics serves them): how much cluster traffic the
/// delivery of stored intents costs a node, and how often it looked for intents it may have missed.
/// </summary>
internal static class IntentTelemetry
{
    public static readonly Counter<long> Deliveries = ReconcilerTelemetry.Meter.CreateCounter<long>(
        "nanokit.intent.deliveries", description: "Intents this node sent to their project entity (first deliveries and redeliveries)");

    public static readonly Counter<long> Sweeps = ReconcilerTelemetry.Meter.CreateCounter<long>(
        "nanokit.intent.sweeps", description: "Times this node read the store for intents not yet accepted (at start, after a reconnect, every sweep interval)");
}
