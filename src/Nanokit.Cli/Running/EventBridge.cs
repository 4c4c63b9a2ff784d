using System.Threading.Channels;
using Akka.Actor;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary>Carries the reconciler's published events out of the actor system into a channel the command reads.</summary>
internal sealed class EventBridge : ReceiveActor
{
    /// <param name="intentAccepted">Keeps the read model of the intent (<see cref="AppliedIntent"/>) whether or not the command reads events.</param>
    /// <param name="runCompleted">Keeps the record of the last run (<see cref="LastRun"/>), before the command sees the run end.</param>
    /// <param name="restartsCounted">Keeps the restart counts in the intent's read model.</param>
    public EventBridge(
        ChannelWriter<object> writer, TaskCompletionSource<StorageFailed> storageFailed, Action<IntentAccepted> intentAccepted, Action<RunCompleted> runCompleted,
        Action<RestartsCounted> restartsCounted)
    {
        Receive<IntentAccepted>(intentAccepted);
        Receive<RestartsCounted>(restartsCounted);
        Receive<RunCompleted>(completed =>
        {
            runCompleted(completed);
            writer.TryWrite(completed);
        });
        // A storage failure also ends a command that is not reading events (one waiting for an answer).
        Receive<StorageFailed>(failed =>
        {
            storageFailed.TrySetResult(failed);
            writer.TryWrite(failed);
        });
        ReceiveAny(message => writer.TryWrite(message));
    }
}
