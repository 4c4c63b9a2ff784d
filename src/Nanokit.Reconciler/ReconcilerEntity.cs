using Akka.Persistence;

namespace Nanokit.Reconciler;

/// <summary>
/// A persistent actor of the reconciler (a project or a service). A store that fails or refuses an event ends it
/// once and is reported (see <see cref="StorageFailures"/>) so that the node ends on it instead of restarting it.
/// </summary>
internal abstract class ReconcilerEntity(string project) : ReceivePersistentActor
{
    /// <summary>A journal write failed: Akka stops the actor (it cannot know what was written); the node is told, so the failure is final.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        StorageFailures.Report(Context, project, PersistenceId, cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>The journal refused an event (it could not be serialized): as final as a failed write.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        StorageFailures.Report(Context, project, PersistenceId, cause);
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        StorageFailures.Report(Context, project, PersistenceId, reason);
        base.OnRecoveryFailure(reason, message);
    }
}
