using System.Diagnostics;

namespace Nanokit.Reconciler;

/// <summary>
/// Starts spans whose parent is explicit. Actors hop threads between messages, so the ambient
/// <see cref="Activity.Current"/> would leak one actor's span into the next message the thread runs;
/// spans are started detached and their context travels in messages instead.
/// </summary>
internal static class Spans
{
    public static Activity? Start(string name, ActivityContext parent)
    {
        var previous = Activity.Current;
        var activity = ReconcilerTelemetry.Source.StartActivity(name, ActivityKind.Internal, parent);
        Activity.Current = previous;
        return activity;
    }
}
