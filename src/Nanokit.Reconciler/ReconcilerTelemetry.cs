using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Nanokit.Reconciler;

/// <summary>
/// The reconciler's spans and metrics. Span tree: <c>reconcile</c> (project, generation, trigger) →
/// <c>layer</c> (index) → <c>action</c> (service, type, cause) → <c>hook</c> / <c>wait</c>. The parent of a
/// span started in another actor travels in the message as an <see cref="ActivityContext"/>.
/// </summary>
public static class ReconcilerTelemetry
{
    public const string SourceName = "Nanokit";

    public static readonly ActivitySource Source = new(SourceName);

    public static readonly Meter Meter = new(SourceName);

    public static readonly Counter<long> Reconciles = Meter.CreateCounter<long>("nanokit.reconciles", description: "Reconcile runs started");

    public static readonly Counter<long> Actions = Meter.CreateCounter<long>("nanokit.actions", description: "Plan actions executed (tag: type)");

    public static readonly Counter<long> Failures = Meter.CreateCounter<long>("nanokit.action_failures", description: "Plan actions that failed after every retry");

    public static readonly Counter<long> Drifts = Meter.CreateCounter<long>("nanokit.drifts", description: "Drift checks that found the runtime differing from the spec");

    public static readonly Counter<long> RunFailures = Meter.CreateCounter<long>("nanokit.reconcile_failures", description: "Reconcile runs that ended failed (tag: trigger)");

    public static readonly Histogram<double> HealDuration = Meter.CreateHistogram<double>(
        "nanokit.heal.duration", "s", "Heal latency: from the start of the drift check that found the runtime differing to the end of the run that healed it (a failed heal's retries included)");

    public static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>("nanokit.reconcile.duration", "s", "Duration of a reconcile run");

    public static readonly Histogram<double> ActionDuration = Meter.CreateHistogram<double>("nanokit.action.duration", "s", "Duration of one service's actions in a run, hooks and waits included");
}
