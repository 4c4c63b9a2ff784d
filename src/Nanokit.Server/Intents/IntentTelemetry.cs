using System.Diagnostics.Metrics;
using Nanokit.Reconciler;

namespace Nanokit.Server.Intents;

/// <summary>
/// The intent path's metrics, on the reconciler's meter (so /metrics serves them): how much cluster traffic the
/// delivery of stored intents costs a node, how often it looked for intents it may have missed, and how many wait.
/// </summary>
internal static class IntentTelemetry
{
    public static readonly Counter<long> Deliveries = ReconcilerTelemetry.Meter.CreateCounter<long>(
        "nanokit.intent.deliveries", description: "Intents this node sent to their project entity (first deliveries and redeliveries)");

    public static readonly Counter<long> Sweeps = ReconcilerTelemetry.Meter.CreateCounter<long>(
        "nanokit.intent.sweeps", description: "Times this node read the store for intents not yet accepted (at start, after a reconnect, every sweep interval)");

    // One delivery actor per node process: it sets the count, the exporter reads it.
    private static int unanswered;

    public static readonly ObservableGauge<int> QueueDepth = ReconcilerTelemetry.Meter.CreateObservableGauge(
        "nanokit.intent.queue_depth", () => Volatile.Read(ref unanswered), description: "Intents this node read from the store that their project has not yet accepted (sent, or waiting for a slot)");

    public static void Unanswered(int count) => Volatile.Write(ref unanswered, count);
}
