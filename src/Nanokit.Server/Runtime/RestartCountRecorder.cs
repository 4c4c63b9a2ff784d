using Akka.Actor;
using Nanokit.Reconciler;

namespace Nanokit.Server.Runtime;

/// <summary>
/// Copies the restart counts of the projects this node owns, as their entities publish them (after each count and
/// after recovery), into <see cref="ObservedStore"/>, where PlanProject and CheckDrift on any node read them. One per node.
/// </summary>
internal sealed class RestartCountRecorder : ReceiveActor
{
    public RestartCountRecorder(ObservedStore observed) =>
        Receive<RestartsCounted>(m => observed.RecordRestarts(m.Project, m.Counts));

    public static Props Props(ObservedStore observed) => Akka.Actor.Props.Create(() => new RestartCountRecorder(observed));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RestartsCounted));
}
