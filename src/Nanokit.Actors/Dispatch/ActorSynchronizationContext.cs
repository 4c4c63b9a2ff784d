namespace Nanokit.Actors.Dispatch;

/// <summary>
/// Captured by the awaits of a ReceiveAsync handler: every continuation is posted back to
/// the actor as a system message, so it runs on the actor (one thread at a time, with
/// Self/Sender of the original message) while user messages wait for the task.
/// </summary>
internal sealed class ActorSynchronizationContext(ActorCell cell, object message, IActorRef? sender)
    : SynchronizationContext
{
    public ActorCell Cell { get; } = cell;

    public object Message { get; } = message;

    public IActorRef? Sender { get; } = sender;

    public override void Post(SendOrPostCallback d, object? state) =>
        Cell.SendSystemMessage(new TaskContinuation(this, d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous Send is not supported inside an actor.");

    public override SynchronizationContext CreateCopy() => this;
}
