using Nanokit.Actors;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence;

/// <summary>
/// Messages a persistent actor sends itself when journal I/O completes. Each carries the
/// instance that started the I/O, so a result arriving after a restart (for the previous
/// instance) is ignored rather than applied to a fresh state.
/// </summary>
internal abstract record PersistenceSignal(PersistentActor Owner);

internal sealed record StartRecovery(PersistentActor Owner) : PersistenceSignal(Owner);

internal sealed record RecoverySnapshot(PersistentActor Owner, SelectedSnapshot? Snapshot) : PersistenceSignal(Owner);

internal sealed record RecoveryPage(PersistentActor Owner, IReadOnlyList<PersistentEvent> Events) : PersistenceSignal(Owner);

internal sealed record RecoveryFinished(PersistentActor Owner, long HighestSequenceNr) : PersistenceSignal(Owner);

internal sealed record RecoveryFailure(PersistentActor Owner, Exception Cause) : PersistenceSignal(Owner);

internal sealed record WriteSucceeded(PersistentActor Owner) : PersistenceSignal(Owner);

internal sealed record WriteFailed(PersistentActor Owner, Exception Cause) : PersistenceSignal(Owner);

internal sealed record RunContinuation(PersistentActor Owner, SendOrPostCallback Callback, object? State) : PersistenceSignal(Owner);

internal sealed record AsyncCommandCompleted(PersistentActor Owner, Exception? Error) : PersistenceSignal(Owner);

/// <summary>An event waiting for its durable write, with the handler to run afterwards and the sender to run it with.</summary>
internal sealed record PendingInvocation(PersistentEvent Event, Action<object> Handler, IActorRef? Sender);

/// <summary>
/// Lets <c>await</c> inside an async command handler resume on the actor: each continuation
/// becomes a message to the actor, run in its turn like any message, so handler code never
/// runs concurrently with the actor.
/// </summary>
internal sealed class PersistentActorSynchronizationContext(PersistentActor owner, IActorRef self, IActorRef? sender) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state) => self.Tell(new RunContinuation(owner, d, state), sender);

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new InvalidOperationException("a persistent actor cannot block on its own thread; use await");

    public override SynchronizationContext CreateCopy() => this;
}
